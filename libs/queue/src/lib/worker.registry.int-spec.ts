import Redis from 'ioredis';
import { deleteQueueKeys, testQueueConfig } from '../testing';
import { workerRegistryKey } from './redis-keys';
import { FORGET_LOST_AFTER_MS, WorkerBeat, WorkerRegistry } from './worker.registry';

describe('WorkerRegistry', () => {
  const config = testQueueConfig();
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const registry = new WorkerRegistry(redis, config.prefix);
  const beat = (id: string, host: string, pid: number, at: number): WorkerBeat => ({
    id,
    host,
    pid,
    version: 'v1',
    queues: [{ name: 'message-delivery', concurrency: 10 }],
    startedAt: at - 60_000,
    lastHeartbeatAt: at,
    heartbeatIntervalMs: 1_000,
    jobsCompleted: 5,
    jobsFailed: 1,
    jobsPerSecond: 2.5,
    rssBytes: 100_000_000,
  });

  afterAll(async () => {
    await deleteQueueKeys(config);
    redis.disconnect();
  });

  it('lists live workers, then one that missed three beats as lost, alive ones first', async () => {
    const now = Date.now();
    await registry.beat(beat('b:2:1', 'b', 2, now));
    await registry.beat(beat('a:1:1', 'a', 1, now - 3_500));
    const workers = await registry.list(now);
    expect(workers.map((w) => [w.id, w.status])).toEqual([
      ['b:2:1', 'alive'],
      ['a:1:1', 'lost'],
    ]);
    expect(workers[0]).toMatchObject({ host: 'b', pid: 2, version: 'v1', jobsPerSecond: 2.5, lastHeartbeatAt: new Date(now).toISOString() });
    // A new beat brings it back.
    await registry.beat(beat('a:1:1', 'a', 1, now));
    expect((await registry.list(now)).map((w) => w.status)).toEqual(['alive', 'alive']);
  });

  it('forgets a worker lost for an hour, and anything unreadable; a clean stop removes its own', async () => {
    const now = Date.now();
    await redis.hset(workerRegistryKey(config.prefix), 'garbage', 'not json');
    await registry.beat(beat('old:1:1', 'old', 1, now - FORGET_LOST_AFTER_MS - 1));
    await registry.remove('b:2:1');
    expect((await registry.list(now)).map((w) => w.id)).toEqual(['a:1:1']);
    expect(await redis.hkeys(workerRegistryKey(config.prefix))).toEqual(['a:1:1']);
  });
});
