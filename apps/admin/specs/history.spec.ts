import type { MetricsHistory } from '@mq/messaging-contracts';
import { buildHistorySeries, niceCeiling } from '../src/lib/history';

const NOW = Date.parse('2026-01-01T12:00:30.000Z');
const at = (minutesAgo: number) => new Date(Date.parse('2026-01-01T12:00:00.000Z') - minutesAgo * 60_000).toISOString();

const history: MetricsHistory = {
  minutes: 60,
  queues: {
    'message-delivery': [
      { at: at(2), completed: 10, failed: 1, waiting: 4 },
      { at: at(0), completed: 6, failed: 0, waiting: 1 },
    ],
    'message-indexing': [{ at: at(0), completed: 4, failed: 2, waiting: 3 }],
    'message-cleanup': [{ at: at(90), completed: 99, failed: 99, waiting: 99 }],
  },
};

describe('buildHistorySeries', () => {
  it('gives one point per minute for the last hour, summing queues, with gaps where nothing was sampled', () => {
    const series = buildHistorySeries(history, 'all', 60, 1, NOW);
    expect(series.times).toHaveLength(60);
    expect(series.times.at(-1)).toBe(Date.parse(at(0)));
    expect(series.completed.at(-1)).toBe(10);
    expect(series.failed.at(-1)).toBe(2);
    expect(series.waiting.at(-1)).toBe(4);
    expect(series.completed.at(-2)).toBeNull();
    expect(series.completed.at(-3)).toBe(10);
    // The sample 90 minutes ago is outside the window.
    expect(series.totals).toEqual({ completed: 20, failed: 3, peakWaiting: 4, sampledMinutes: 2 });
  });

  it('narrows to one queue', () => {
    const series = buildHistorySeries(history, 'message-indexing', 60, 1, NOW);
    expect(series.totals).toEqual({ completed: 4, failed: 2, peakWaiting: 3, sampledMinutes: 1 });
  });

  it('averages per minute over 10-minute buckets for 24 hours, and keeps the highest backlog', () => {
    const series = buildHistorySeries(history, 'message-delivery', 24 * 60, 10, NOW);
    expect(series.times.length).toBeGreaterThanOrEqual(144);
    // Buckets start on the clock's ten minutes: 12:00 holds the latest sample, 11:50 the one at 11:58.
    expect(new Date(series.times.at(-1) as number).toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(series.completed.slice(-2)).toEqual([10, 6]);
    expect(series.waiting.slice(-2)).toEqual([4, 1]);
    expect(series.totals.completed).toBe(16);
  });
});

it('averages the sampled minutes of a bucket', () => {
  const twoInOne: MetricsHistory = {
    minutes: 1440,
    queues: {
      q: [
        { at: at(3), completed: 10, failed: 2, waiting: 5 },
        { at: at(1), completed: 20, failed: 0, waiting: 2 },
      ],
    },
  };
  const series = buildHistorySeries(twoInOne, 'q', 24 * 60, 10, NOW);
  expect(series.completed.at(-2)).toBe(15);
  expect(series.failed.at(-2)).toBe(1);
  expect(series.waiting.at(-2)).toBe(5);
});

describe('niceCeiling', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [11, 20],
    [180, 200],
    [501, 1000],
  ])('%d -> %d', (max, expected) => expect(niceCeiling(max)).toBe(expected));
});
