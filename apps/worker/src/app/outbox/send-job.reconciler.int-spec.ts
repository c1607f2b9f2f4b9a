import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { OutboxPublisher } from '@mq/messaging';
import { BullConnectionFactory, QueueRegistry, queueWitnessKey } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig } from '@mq/queue/testing';
import { JOB, QUEUE, jobIdFor } from '@mq/queue-contracts';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { OutboxRelay } from './outbox.relay';
import { WorkerModule } from '../worker.module';
import { REDIS_EPOCH_RECOVERING, redisEpochKey } from './redis-epoch';
import { JOB_GONE_REASON, SendJobReconciler } from './send-job.reconciler';

/**
 * Send jobs that leave Redis without running to the end: the worker here consumes no delivery
 * queue, so the jobs wait until the test removes them or obliterates the queue, and the
 * reconciler must then show their deliveries as failed (and leave waiting ones alone).
 */
describe('send job reconciler', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;
  let senderId: string;
  let recipientId: string;
  let conversationId: string;
  let seq = 0;

  /** A stored message with a queued delivery, and its send job staged and published. */
  const send = async (): Promise<{ messageId: string; jobId: string }> => {
    const messageId = randomUUID();
    const outbox = worker.get(OutboxPublisher);
    const staged = await sql.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status) VALUES ($1, $2, $3, $4, '\\x00', '\\x00', '\\x00', 1, 'queued')`,
        [messageId, conversationId, (seq += 1), senderId],
      );
      await manager.query(`INSERT INTO message_deliveries (message_id, recipient_id) VALUES ($1, $2)`, [messageId, recipientId]);
      return outbox.stage(manager, JOB.SEND_MESSAGE, { messageIds: [messageId] });
    });
    expect(await outbox.publish([staged])).toBe(1);
    await outbox.flushMarks();
    return { messageId, jobId: jobIdFor(JOB.SEND_MESSAGE, { messageIds: [messageId] }) };
  };

  const state = async (messageId: string) => {
    const [row] = (await sql.query(
      `SELECT d.status, d.failure_reason, d.failed_at IS NOT NULL AS has_failed_at, m.status AS message_status,
              (SELECT o.finished_at IS NOT NULL FROM outbox o WHERE o.payload->'messageIds' ? $1::text) AS outbox_finished
       FROM message_deliveries d JOIN messages m ON m.id = d.message_id WHERE d.message_id = $1::uuid`,
      [messageId],
    )) as { status: string; failure_reason: string | null; has_failed_at: boolean; message_status: string; outbox_finished: boolean }[];
    return row;
  };

  const failedByRemoval = { status: 'failed', failure_reason: JOB_GONE_REASON, has_failed_at: true, message_status: 'failed', outbox_finished: true };
  const stillQueued = { status: 'queued', failure_reason: null, has_failed_at: false, message_status: 'queued', outbox_finished: false };

  beforeAll(async () => {
    db = await createTestDatabase();
    const queue = testQueueConfig();
    config = loadWorkerConfig({
      NODE_ENV: 'test',
      ...testDatabaseEnv(db),
      REDIS_PORT: String(queue.redis.port),
      QUEUE_PREFIX: queue.prefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'warn',
      WORKER_QUEUES: QUEUE.INDEXING,
      OUTBOX_RECONCILE_AFTER_MS: '0',
      // A row put back to publish is published by the same pass, however young.
      OUTBOX_GRACE_MS: '0',
      // The test runs the reconciler itself; the relay's own pass runs once, at boot.
      OUTBOX_RELAY_INTERVAL_MS: '60000',
    });
    worker = await (await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile()).init();
    sql = worker.get(DataSource);
    const redis = worker.get(BullConnectionFactory).commandConnection();
    await eventually(
      async () => ((await redis.get(redisEpochKey(config.queue.prefix))) ?? '').match(/^\d{4}-/) ?? undefined,
      'the relay marks the Redis epoch',
    );
    [senderId, recipientId] = [randomUUID(), randomUUID()];
    for (const id of [senderId, recipientId]) {
      await sql.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'u', 'x')`, [id, `${id}@test`]);
    }
    conversationId = randomUUID();
    await sql.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'g', $2)`, [conversationId, senderId]);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('leaves a waiting job alone, and fails the deliveries of a job removed from the queue', async () => {
    const waiting = await send();
    const removed = await send();
    const reconciler = worker.get(SendJobReconciler);
    expect(await reconciler.reconcile()).toEqual({ finished: 0, deliveriesFailed: 0 });
    expect(await state(waiting.messageId)).toEqual(stillQueued);

    await (await worker.get(QueueRegistry).get(QUEUE.DELIVERY).getJob(removed.jobId))?.remove();
    expect(await reconciler.reconcile()).toEqual({ finished: 1, deliveriesFailed: 1 });
    expect(await state(removed.messageId)).toEqual(failedByRemoval);
    expect(await state(waiting.messageId)).toEqual(stillQueued);
    // Seen once: the next pass has nothing more to say about it.
    expect(await reconciler.reconcile()).toEqual({ finished: 0, deliveriesFailed: 0 });
  });

  it("publishes again, instead of failing, a send job its queue's master lost with writes it had acknowledged (a failover)", async () => {
    const relay = worker.get(OutboxRelay);
    const queue = worker.get(QueueRegistry).get(QUEUE.DELIVERY);
    const redis = worker.get(BullConnectionFactory).commandConnection();
    const witness = queueWitnessKey(config.queue.prefix, QUEUE.DELIVERY);
    await relay.relayOnce();
    const survived = Number(await redis.get(witness));
    const lost = await send();
    await relay.relayOnce();
    // What the promoted replica lacks: the job, and the witness writes made after the one that survived.
    await (await queue.getJob(lost.jobId))?.remove();
    await redis.set(witness, survived);

    await relay.relayOnce();
    expect(await queue.getJob(lost.jobId)).toMatchObject({ id: lost.jobId, data: { messageIds: [lost.messageId] } });
    expect(await worker.get(SendJobReconciler).reconcile()).toEqual({ finished: 0, deliveriesFailed: 0 });
    expect(await state(lost.messageId)).toEqual(stillQueued);
    // One loss, one republish: the next pass sees the witness move on.
    await relay.relayOnce();
    expect(Number(await redis.get(witness))).toBe(survived + 2);
  });

  it('fails the deliveries of every job of an obliterated queue, once Redis is known not to be recovering', async () => {
    const sends = [await send(), await send()];
    const queue = worker.get(QueueRegistry).get(QUEUE.DELIVERY);
    await queue.pause();
    await queue.obliterate({ force: true });
    const redis = worker.get(BullConnectionFactory).commandConnection();
    const marker = redisEpochKey(config.queue.prefix);
    const epoch = await redis.get(marker);
    // While the outbox republishes what Redis lost, a job missing from Redis is not gone for good.
    await redis.set(marker, REDIS_EPOCH_RECOVERING);
    const reconciler = worker.get(SendJobReconciler);
    expect(await reconciler.reconcile()).toEqual({ finished: 0, deliveriesFailed: 0 });
    await redis.set(marker, epoch as string);
    // The first two tests' waiting jobs went with the queue too.
    expect(await reconciler.reconcile()).toEqual({ finished: 4, deliveriesFailed: 4 });
    for (const { messageId } of sends) expect(await state(messageId)).toEqual(failedByRemoval);
  });
});
