import type { QueueMetricMinute } from '@mq/db';
import { historyWindowStart, toMetricsHistory } from './metrics-history';

describe('metrics history', () => {
  const now = Date.UTC(2030, 0, 1, 10, 30, 42);
  const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 10, minute));
  const row = (queue: string, minute: number, completed: number, failed: number, waiting: number): QueueMetricMinute => ({
    queue,
    minute: at(minute),
    completed,
    failed,
    waiting,
  });

  it('covers `minutes` whole minutes ending with the current one', () => {
    expect(historyWindowStart(now, 1)).toEqual(at(30));
    expect(historyWindowStart(now, 60).toISOString()).toBe('2030-01-01T09:31:00.000Z');
  });

  it('gives every queue its per-minute series, oldest first, within the window only', () => {
    const history = toMetricsHistory(
      [
        row('a', 30, 5, 1, 3),
        row('a', 28, 7, 0, 0),
        row('a', 20, 99, 0, 0), // before a 5-minute window
        row('b', 29, 2, 2, 10),
        row('not-a-queue', 29, 1, 1, 1),
      ],
      5,
      ['a', 'b', 'c'],
      now,
    );
    expect(history).toEqual({
      minutes: 5,
      queues: {
        a: [
          { at: '2030-01-01T10:28:00.000Z', completed: 7, failed: 0, waiting: 0 },
          { at: '2030-01-01T10:30:00.000Z', completed: 5, failed: 1, waiting: 3 },
        ],
        b: [{ at: '2030-01-01T10:29:00.000Z', completed: 2, failed: 2, waiting: 10 }],
        c: [],
      },
    });
  });

  it('merges rows of the same minute: counts add up, the backlog keeps its peak', () => {
    const history = toMetricsHistory(
      [
        { queue: 'a', minute: new Date(at(29).getTime() + 10_000), completed: 3, failed: 1, waiting: 8 },
        { queue: 'a', minute: new Date(at(29).getTime() + 50_000), completed: 4, failed: 0, waiting: 2 },
      ],
      60,
      ['a'],
      now,
    );
    expect(history.queues['a']).toEqual([{ at: '2030-01-01T10:29:00.000Z', completed: 7, failed: 1, waiting: 8 }]);
  });
});
