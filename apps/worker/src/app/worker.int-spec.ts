import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { ThrowawayRedis, deleteQueueKeys, eventually, startThrowawayRedis, testQueueConfig, waitForQueuesIdle } from '@mq/queue/testing';
import { OutboxPublisher } from '@mq/messaging';
import { JOB, QUEUE, QUEUE_NAMES, jobIdFor } from '@mq/queue-contracts';
import { WorkerHttpServer } from './worker-http.server';
import { WorkerConfig, loadWorkerConfig } from './worker.config';
import { WorkerModule } from './worker.module';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function workerConfig(db: TestDatabase, queue = testQueueConfig()): WorkerConfig {
  return loadWorkerConfig({
    NODE_ENV: 'test',
    ...testDatabaseEnv(db),
    REDIS_PORT: String(queue.redis.port),
    QUEUE_PREFIX: queue.prefix,
    WORKER_PORT: '0',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
}

async function bootWorker(config: WorkerConfig): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
  return moduleRef.init();
}

describe('worker app against real Postgres and Redis', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = workerConfig(db);
    worker = await bootWorker(config);
    baseUrl = `http://127.0.0.1:${worker.get(WorkerHttpServer).address()}`;
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('serves /health (Postgres and Redis up) and /metrics, and nothing else', async () => {
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    for (const queue of QUEUE_NAMES) expect(text).toContain(`mq_queue_jobs{queue="${queue}",state="waiting"}`);
    expect((await fetch(`${baseUrl}/anything-else`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/health`, { method: 'POST' })).status).toBe(405);
  });

  it('consumes all six queues with its real processors (a job on each, referring to nothing, completes as a no-op)', async () => {
    const producer = worker.get(MessageQueueService);
    const registry = worker.get(QueueRegistry);
    const at = new Date().toISOString();
    const ids = await Promise.all([
      producer.addMessageDeliveryJob({ messageIds: [uuid(90), uuid(97)] }),
      producer.addDeliveryConfirmationJob({ receipts: [{ messageId: uuid(90), recipientId: uuid(93), status: 'read', at }] }),
      producer.addNotificationJob({ recipientId: uuid(93), channel: 'in_app', reason: 'offline', messageId: uuid(90) }),
      producer.addIndexingJob({ messageIds: [uuid(90)], operation: 'index', revision: 0 }),
      producer.addEncryptionJob({ rotationId: uuid(94), operation: 'rewrap-keys' }),
      producer.addBatchMessageJob({ batchId: uuid(95), chunkSize: 10, chunkDelayMs: 0 }),
      producer.addCleanupJob({ runId: uuid(96), cleanupType: 'expired_attachments', retentionDays: 30, batchSize: 10, dryRun: true }),
    ]);
    await waitForQueuesIdle(
      registry.entries().map(([, queue]) => queue),
      { includeDelayed: false },
    );
    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const found = await registry.findJob(id);
        return { queue: found?.queue, state: await found?.job.getState(), result: found?.job.returnvalue as unknown };
      }),
    );
    expect(new Set(outcomes.map((o) => o.queue)).size).toBe(6);
    for (const outcome of outcomes) expect(outcome.state).toBe('completed');
    expect(outcomes.map((o) => o.result)).toEqual([
      { sent: 0, skipped: 2, delivered: 0, splitOut: [] },
      { recorded: 0, unchanged: 1 },
      { outcome: 'skipped', reason: 'recipient missing or inactive' },
      { operation: 'index', indexed: 0, terms: 0, removed: 1, splitOut: [] },
      { outcome: 'completed', rewrapped: 0, conversations: 0, reencrypted: 0, skipped: 0, skippedConversationIds: [], unreadableKeys: 0 },
      { outcome: 'skipped', processed: 0 },
      { dryRun: true, counts: { expired_attachments: 0 } },
    ]);
  });

  it('restores from its outbox row a job Redis lost while it was being taken, and frees the id of one it cannot restore', async () => {
    const cleanup = worker.get(QueueRegistry).get(QUEUE.CLEANUP);
    const outbox = worker.get(OutboxPublisher);
    const sql = worker.get(DataSource);
    const payload = { runId: uuid(40), cleanupType: 'expired_attachments', retentionDays: 30, batchSize: 10, dryRun: true } as const;
    // Staged, and published as far as the api knew; then Redis came back empty with the job's id
    // in flight: the worker pops it, and Bull's moveToActive writes a stub (processedOn only) under it.
    const [staged] = await sql.transaction((manager) => outbox.stageAll(manager, [{ name: JOB.CLEANUP_MESSAGES, payload }]));
    const jobId = staged?.jobId as string;
    await sql.query('UPDATE outbox SET published_at = now() WHERE job_id = $1', [jobId]);
    await cleanup.client.lpush(cleanup.toKey('wait'), jobId);
    const restored = await eventually(async () => {
      const job = await cleanup.getJob(jobId);
      return job && (await job.getState()) === 'completed' ? job : undefined;
    }, 'the restored job to complete');
    expect(restored).toMatchObject({ name: JOB.CLEANUP_MESSAGES, data: payload, returnvalue: { dryRun: true, counts: { expired_attachments: 0 } } });

    // One the outbox does not hold: its stub is removed, so adding the job again runs it.
    const orphan = { ...payload, runId: uuid(41) };
    const orphanId = jobIdFor(JOB.CLEANUP_MESSAGES, orphan);
    await cleanup.client.lpush(cleanup.toKey('wait'), orphanId);
    await eventually(async () => {
      const [waiting, active, stub] = await Promise.all([
        cleanup.client.lpos(cleanup.toKey('wait'), orphanId),
        cleanup.client.lpos(cleanup.toKey('active'), orphanId),
        cleanup.client.exists(cleanup.toKey(orphanId)),
      ]);
      return waiting === null && active === null && stub === 0 ? true : undefined;
    }, 'the stub to be taken and removed');
    const added = await worker.get(MessageQueueService).addCleanupJob(orphan);
    expect(added).toBe(orphanId);
    await eventually(async () => ((await (await cleanup.getJob(orphanId))?.getState()) === 'completed' ? true : undefined), 'the job added again to complete');
  });

  it('schedules the nightly cleanup once, however many workers start', async () => {
    const second = await bootWorker(config);
    try {
      const repeatables = await worker.get(QueueRegistry).get(QUEUE.CLEANUP).getRepeatableJobs();
      expect(repeatables).toEqual([expect.objectContaining({ name: 'cleanup-messages', cron: '0 2 * * *', tz: 'UTC' })]);
    } finally {
      await second.close();
    }
  });

  it('runs a cleanup: the dry run counts, the real run deletes exactly those rows', async () => {
    const sql = worker.get(DataSource);
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, 'a@school.test', 'A', 'x')`, [uuid(1)]);
    await sql.query(
      `INSERT INTO conversations (id, type, title, created_by, deleted_at) VALUES
       ($1, 'group', 'kept', $3, NULL), ($2, 'group', 'gone', $3, now())`,
      [uuid(10), uuid(11), uuid(1)],
    );
    const insertMessage = (id: string, seq: number, createdAt: string, deletedAt: string | null) =>
      sql.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status, created_at, deleted_at)
         VALUES ($1, $2, $3, $4, '\\x00', '\\x00', '\\x00', 1, 'sent', $5, $6)`,
        [id, uuid(10), seq, uuid(1), createdAt, deletedAt],
      );
    await insertMessage(uuid(20), 1, new Date(Date.now() - 400 * 86_400_000).toISOString(), null); // past retention
    await insertMessage(uuid(21), 2, new Date().toISOString(), new Date().toISOString()); // soft-deleted
    await insertMessage(uuid(22), 3, new Date().toISOString(), null); // kept
    await sql.query(
      `INSERT INTO attachments (message_id, storage_key, content_type, size_bytes, expires_at) VALUES
       ($1, 'k1', 'image/png', 10, now() - interval '1 day'), ($1, 'k2', 'image/png', 10, now() + interval '1 day')`,
      [uuid(22)],
    );

    const producer = worker.get(MessageQueueService);
    const registry = worker.get(QueueRegistry);
    const run = async (dryRun: boolean, runId: string) => {
      const jobId = await producer.addCleanupJob({ runId, cleanupType: 'all', retentionDays: 365, batchSize: 1, dryRun });
      // The nightly schedule is a delayed job that never runs here: only waiting/active count.
      await waitForQueuesIdle([registry.get(QUEUE.CLEANUP)], { includeDelayed: false });
      const job = await registry.get(QUEUE.CLEANUP).getJob(jobId);
      expect(await job?.getState()).toBe('completed');
      return job?.returnvalue as { dryRun: boolean; counts: Record<string, number> };
    };
    const expected = { deleted_conversations: 1, deleted_messages: 1, old_messages: 1, expired_attachments: 1, discarded_dead_letters: 0 };

    expect(await run(true, uuid(30))).toEqual({ dryRun: true, counts: expected });
    const [{ n: messagesBefore }] = await sql.query(`SELECT count(*)::int AS n FROM messages`);
    expect(messagesBefore).toBe(3);

    expect(await run(false, uuid(31))).toEqual({ dryRun: false, counts: expected });
    expect((await sql.query(`SELECT id FROM messages`)).map((r: { id: string }) => r.id)).toEqual([uuid(22)]);
    expect((await sql.query(`SELECT storage_key FROM attachments`)).map((r: { storage_key: string }) => r.storage_key)).toEqual(['k2']);
    expect((await sql.query(`SELECT id FROM conversations`)).map((r: { id: string }) => r.id)).toEqual([uuid(10)]);
  });
});

describe('worker /health when Redis is down', () => {
  let db: TestDatabase;
  let redis: ThrowawayRedis;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startThrowawayRedis();
    worker = await bootWorker(workerConfig(db, testQueueConfig(undefined, { port: redis.port, db: 0 })));
  });

  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('answers 503 naming the failing check, and 200 again once Redis is back', async () => {
    const url = `http://127.0.0.1:${worker.get(WorkerHttpServer).address()}/health`;
    await redis.stop();
    const down = await fetch(url);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'error', checks: { postgres: { status: 'up' }, redis: { status: 'down' } } });
    await redis.start();
    await eventually(async () => ((await fetch(url)).status === 200 ? true : undefined), 'health to recover', 15_000);
  }, 40_000);
});
