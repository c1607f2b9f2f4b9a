import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { QueueMetricRepository, QueueMetricSample } from './queue-metric.repository';

const sample = (queue: string, at: string, completed: number, failedSince: number, waiting: number): QueueMetricSample => ({
  queue,
  sampledAt: new Date(at),
  waiting,
  active: 1,
  delayed: 0,
  failed: 2,
  completed,
  failedSince,
  paused: false,
});

describe('QueueMetricRepository', () => {
  let db: RepositoryTestDatabase;
  let metrics: QueueMetricRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('queue-metric-repository-spec');
    metrics = new QueueMetricRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('knows where the samples end', async () => {
    expect(await metrics.lastSampledAt()).toBeUndefined();
    await metrics.append([]);
    await metrics.append([sample('message-delivery', '2026-12-01T10:00:10Z', 5, 1, 40), sample('notifications', '2026-12-01T10:00:10Z', 2, 0, 3)]);
    await metrics.append([sample('message-delivery', '2026-12-01T10:00:50Z', 7, 0, 90), sample('message-delivery', '2026-12-01T10:01:10Z', 1, 0, 10)]);
    expect(await metrics.lastSampledAt()).toEqual(new Date('2026-12-01T10:01:10Z'));
  });

  it('sums each queue’s minute and keeps its highest backlog', async () => {
    const minutes = await metrics.minutesSince(new Date('2026-12-01T10:00:00Z'));
    const sorted = [...minutes].sort((a, b) => a.queue.localeCompare(b.queue) || a.minute.getTime() - b.minute.getTime());
    expect(sorted).toEqual([
      { queue: 'message-delivery', minute: new Date('2026-12-01T10:00:00Z'), completed: 12, failed: 1, waiting: 90 },
      { queue: 'message-delivery', minute: new Date('2026-12-01T10:01:00Z'), completed: 1, failed: 0, waiting: 10 },
      { queue: 'notifications', minute: new Date('2026-12-01T10:00:00Z'), completed: 2, failed: 0, waiting: 3 },
    ]);
    expect(await metrics.minutesSince(new Date('2026-12-01T10:01:00Z'))).toHaveLength(1);
  });

  it('prunes samples older than a time', async () => {
    expect(await metrics.prune(new Date('2026-12-01T10:01:00Z'))).toBe(3);
    expect(await metrics.minutesSince(new Date(0))).toHaveLength(1);
  });
});
