import { createServer } from 'node:http';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import type { Alert } from '@mq/messaging-contracts';
import { MessageQueueService, QueueConfig } from '@mq/queue';
import { ThrowawayRedis, deleteQueueKeys, eventually, startThrowawayRedis, testQueueConfig } from '@mq/queue/testing';
import { WorkerConfig, loadWorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';
import { LeaderLock } from './leader.lock';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function workerConfig(db: TestDatabase, queue: QueueConfig, env: Record<string, string> = {}): WorkerConfig {
  return loadWorkerConfig({
    NODE_ENV: 'test',
    ...testDatabaseEnv(db),
    REDIS_PORT: String(queue.redis.port),
    QUEUE_PREFIX: queue.prefix,
    WORKER_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '5000',
    METRICS_SAMPLE_INTERVAL_MS: '200',
    ...env,
  });
}

async function bootWorker(config: WorkerConfig): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
  return moduleRef.init();
}

async function sampledCounts(sql: DataSource, queue: string): Promise<{ completed: number; rows: number }> {
  const [row] = (await sql.query(
    `SELECT coalesce(sum(completed_per_minute), 0)::int AS completed, count(*)::int AS rows FROM queue_metric_samples WHERE queue = $1`,
    [queue],
  )) as { completed: number; rows: number }[];
  return row ?? { completed: 0, rows: 0 };
}

describe('queue monitoring with several workers', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  const workers: INestApplicationContext[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    config = workerConfig(db, testQueueConfig());
    workers.push(await bootWorker(config), await bootWorker(config));
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('elects one sampler, counts each finished job once whichever worker ran it, and hands over on shutdown', async () => {
    const [first, second] = workers as [INestApplicationContext, INestApplicationContext];
    const leaders = () => workers.filter((w) => w.get(LeaderLock).held);
    await eventually(() => (leaders().length === 1 ? true : undefined), 'one elected worker');
    const producer = first.get(MessageQueueService);
    // Jobs referring to nothing complete as no-ops, on either worker.
    for (let i = 0; i < 30; i++) await producer.addIndexingJob({ messageIds: [uuid(i)], operation: 'index', revision: 0 });
    const leader = leaders()[0] as INestApplicationContext;
    const follower = leader === first ? second : first;
    const sql = follower.get(DataSource);
    await eventually(async () => ((await sampledCounts(sql, 'message-indexing')).completed === 30 ? true : undefined), '30 completions sampled');

    await leader.close();
    workers.splice(workers.indexOf(leader), 1);
    // A clean shutdown releases the lock: the other worker takes over within a round or two.
    await eventually(() => (follower.get(LeaderLock).held ? true : undefined), 'the other worker to be elected', 3_000);
    const followerProducer = follower.get(MessageQueueService);
    for (let i = 30; i < 40; i++) await followerProducer.addIndexingJob({ messageIds: [uuid(i)], operation: 'index', revision: 0 });
    await eventually(async () => ((await sampledCounts(sql, 'message-indexing')).completed === 40 ? true : undefined), '40 completions sampled');
    const before = await sampledCounts(sql, 'message-indexing');
    // Rows cover whole seconds: a few more of them change no count.
    const after = await eventually(async () => {
      const counts = await sampledCounts(sql, 'message-indexing');
      return counts.rows >= before.rows + 2 ? counts : undefined;
    }, 'two more sample rows');
    expect(after.rows).toBeGreaterThan(before.rows);
    expect(after.completed).toBe(40);
  });
});

describe('the Redis-unreachable alert', () => {
  let db: TestDatabase;
  let redis: ThrowawayRedis;
  let worker: INestApplicationContext | undefined;
  let redisDown = false;
  const posted: Alert[] = [];
  const webhook = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      posted.push(JSON.parse(raw) as Alert);
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startThrowawayRedis();
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', () => resolve()));
  });

  afterAll(async () => {
    // A test that failed mid-outage: bring Redis back so the worker can close cleanly.
    if (redisDown) await redis.start();
    await worker?.close();
    await redis?.stop();
    await new Promise((resolve) => webhook.close(resolve));
    await db?.drop();
  });

  it('opens once while the worker cannot reach Redis, is posted to the webhook, and resolves when Redis is back', async () => {
    const address = webhook.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const config = workerConfig(db, testQueueConfig(undefined, { port: redis.port, db: 0 }), { ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts` });
    worker = await bootWorker(config);
    const monitor = worker.get(LeaderLock);
    await eventually(() => (monitor.held ? true : undefined), 'the worker to be elected');
    const sql = worker.get(DataSource);
    const openAlerts = () => sql.query(`SELECT rule, status FROM alerts WHERE rule = 'redis-unreachable'`) as Promise<{ rule: string; status: string }[]>;

    await redis.stop();
    redisDown = true;
    await eventually(async () => ((await openAlerts()).length === 1 ? true : undefined), 'the alert row', 15_000);
    // A later round, still without Redis, refreshes the row instead of opening another.
    const lastSeen = async () =>
      ((await sql.query(`SELECT max(last_seen_at) AS at FROM alerts WHERE rule = 'redis-unreachable'`)) as { at: Date }[])[0]?.at.getTime() ?? 0;
    const openedSeen = await lastSeen();
    await eventually(async () => ((await lastSeen()) > openedSeen ? true : undefined), 'a later round to refresh the alert');
    expect(await openAlerts()).toEqual([{ rule: 'redis-unreachable', status: 'open' }]);
    await eventually(() => posted.find((a) => a.rule === 'redis-unreachable' && a.status === 'open'), 'the webhook call');

    await redis.start();
    redisDown = false;
    await eventually(async () => ((await openAlerts())[0]?.status === 'resolved' ? true : undefined), 'the alert to resolve', 15_000);
    await eventually(() => posted.find((a) => a.rule === 'redis-unreachable' && a.status === 'resolved'), 'the resolution at the webhook');
    expect(posted.filter((a) => a.rule === 'redis-unreachable').map((a) => a.status)).toEqual(['open', 'resolved']);
  });
});
