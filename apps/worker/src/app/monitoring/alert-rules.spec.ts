import { AlertPlan, AlertRule, FiringAlert, Observation, QueueObservation, assessAlertRules, planAlertChanges } from './alert-rules';
import { JobEventTally } from './job-event.tally';
import { AlertThresholds } from './monitoring.config';

const thresholds: AlertThresholds = {
  failureRatePercent: 20,
  failureWindowMinutes: 5,
  failureMinJobs: 20,
  backlog: 100,
  oldestWaitingSeconds: 300,
};

interface StoredAlert {
  id: string;
  rule: AlertRule;
  dedupeKey: string;
  status: 'open' | 'resolved';
  value: number;
  lastSeenAt: number;
}

/** The alerts table and evaluator in miniature: applies plans and records what would be announced. */
class FakeAlertBook {
  readonly rows: StoredAlert[] = [];
  readonly announced: { id: string; status: 'open' | 'resolved' }[] = [];
  private nextId = 1;

  apply(plan: AlertPlan, now: number): void {
    for (const alert of plan.open) {
      const row: StoredAlert = { id: String(this.nextId++), rule: alert.rule, dedupeKey: alert.dedupeKey, status: 'open', value: alert.value, lastSeenAt: now };
      this.rows.push(row);
      this.announced.push({ id: row.id, status: 'open' });
    }
    for (const alert of plan.refresh) {
      const row = this.open().find((r) => r.dedupeKey === alert.dedupeKey) as StoredAlert;
      row.value = alert.value;
      row.lastSeenAt = now;
    }
    for (const { id } of plan.resolve) {
      const row = this.rows.find((r) => r.id === id) as StoredAlert;
      row.status = 'resolved';
      this.announced.push({ id, status: 'resolved' });
    }
  }

  open(): StoredAlert[] {
    return this.rows.filter((row) => row.status === 'open');
  }
}

describe('alert rules', () => {
  const t0 = Date.UTC(2030, 0, 1, 8, 0, 0);
  const windowMs = thresholds.failureWindowMinutes * 60_000;
  let now: number;
  let tally: JobEventTally;
  let book: FakeAlertBook;
  let backlog: number;

  const observe = (): Observation => ({
    redisReachable: true,
    queues: [{ queue: 'message-delivery', backlog, oldestWaitingMs: 0, window: tally.count('message-delivery', now - windowMs, now) }],
  });
  const evaluate = (observation = observe()) => book.apply(planAlertChanges(book.open(), assessAlertRules(observation, thresholds)), now);
  const finish = (completed: number, failed: number) => {
    for (let i = 0; i < completed; i++) tally.record('message-delivery', 'completed', now);
    for (let i = 0; i < failed; i++) tally.record('message-delivery', 'failed', now);
  };
  const tick = (ms = 10_000) => {
    now += ms;
  };

  beforeEach(() => {
    now = t0;
    tally = new JobEventTally(15 * 60_000, t0);
    book = new FakeAlertBook();
    backlog = 0;
  });

  it('opens a failure-rate alert once, keeps it open while the rate holds, resolves it when the window moves past', () => {
    finish(10, 5); // 33% but only 15 jobs: not enough to judge
    tick();
    evaluate();
    expect(book.rows).toHaveLength(0);

    finish(6, 4); // 25 jobs, 9 failed: 36%
    tick();
    evaluate();
    expect(book.open()).toEqual([expect.objectContaining({ rule: 'failure-rate', dedupeKey: 'failure-rate:message-delivery', value: 36 })]);

    for (let i = 0; i < 6; i++) {
      tick();
      evaluate();
    }
    expect(book.rows).toHaveLength(1);
    expect(book.open()[0]?.lastSeenAt).toBe(now);

    finish(20, 0); // 45 jobs, 9 failed: exactly 20% is not over 20%
    tick();
    evaluate();
    expect(book.open()).toHaveLength(0);
    expect(book.announced).toEqual([
      { id: '1', status: 'open' },
      { id: '1', status: 'resolved' },
    ]);
  });

  it('resolves when the failures age out of the window, and opens a new alert if the condition returns', () => {
    finish(0, 25);
    tick();
    evaluate();
    expect(book.open()).toHaveLength(1);
    tick(windowMs);
    evaluate();
    expect(book.open()).toHaveLength(0);
    finish(0, 30);
    tick();
    evaluate();
    expect(book.open()).toEqual([expect.objectContaining({ id: '2', rule: 'failure-rate' })]);
  });

  it('tracks a backlog: opens over the threshold, refreshes the value, resolves once drained', () => {
    backlog = 101;
    tick();
    evaluate();
    backlog = 500;
    tick();
    evaluate();
    expect(book.open()).toEqual([expect.objectContaining({ rule: 'backlog', value: 500 })]);
    backlog = 100;
    tick();
    evaluate();
    expect(book.announced.map((a) => a.status)).toEqual(['open', 'resolved']);
  });

  it('raises stalled jobs and a long wait', () => {
    tally.record('message-delivery', 'stalled', now);
    tick();
    const observation = observe();
    const [queue] = observation.queues as QueueObservation[];
    const firing = assessAlertRules({ ...observation, queues: [{ ...(queue as QueueObservation), oldestWaitingMs: 301_000 }] }, thresholds).firing;
    expect(firing.map((f: FiringAlert) => [f.rule, f.value, f.threshold])).toEqual([
      ['oldest-waiting', 301, 300],
      ['stalled', 1, 0],
    ]);
  });

  it('while Redis is unreachable raises that alone and leaves the queue alerts it cannot judge open', () => {
    backlog = 1_000;
    tick();
    evaluate();
    tick();
    evaluate({ redisReachable: false });
    expect(
      book
        .open()
        .map((a) => a.rule)
        .sort(),
    ).toEqual(['backlog', 'redis-unreachable']);
    tick();
    evaluate({ redisReachable: false });
    backlog = 0;
    tick();
    evaluate();
    expect(book.open()).toHaveLength(0);
    expect(book.announced).toEqual([
      { id: '1', status: 'open' },
      { id: '2', status: 'open' },
      { id: '1', status: 'resolved' },
      { id: '2', status: 'resolved' },
    ]);
  });
});
