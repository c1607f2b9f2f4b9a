import { JobEventTally } from './job-event.tally';

describe('JobEventTally', () => {
  const t0 = Date.UTC(2030, 0, 1, 12, 0, 0);

  it('counts each event in exactly one of back-to-back ranges, whole seconds only', () => {
    const tally = new JobEventTally(10 * 60_000, t0);
    tally.record('q', 'completed', t0 + 100);
    tally.record('q', 'completed', t0 + 999);
    tally.record('q', 'failed', t0 + 1_000);
    tally.record('q', 'completed', t0 + 9_999);
    tally.record('q', 'completed', t0 + 10_000);
    tally.record('other', 'completed', t0 + 500);

    const first = tally.count('q', t0, t0 + 10_400); // up to second 10, exclusive
    const second = tally.count('q', t0 + 10_400, t0 + 20_000);
    expect(first).toEqual({ completed: 3, failed: 1, stalled: 0 });
    expect(second).toEqual({ completed: 1, failed: 0, stalled: 0 });
    expect(tally.count('other', t0, t0 + 20_000).completed).toBe(1);
    expect(tally.count('unknown', t0, t0 + 20_000)).toEqual({ completed: 0, failed: 0, stalled: 0 });
  });

  it('forgets seconds older than its retention', () => {
    const tally = new JobEventTally(60_000, t0);
    tally.record('q', 'stalled', t0);
    tally.record('q', 'stalled', t0 + 30_000);
    tally.prune(t0 + 70_000);
    expect(tally.count('q', t0, t0 + 70_000).stalled).toBe(1);
  });
});
