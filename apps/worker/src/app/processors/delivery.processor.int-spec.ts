import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { ConversationKeyService, MessageCrypto } from '@mq/messaging';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig, waitForQueuesIdle } from '@mq/queue/testing';
import { JOB, QUEUE, jobIdFor } from '@mq/queue-contracts';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';

/**
 * The delivery queue's batch jobs through the real worker (Postgres, Redis, processors): a send
 * job of many messages, where one message has a recipient who cannot be sent to and another
 * cannot be read, and a receipt job holding two receipts of one delivery.
 */
/** The job id the api's group commit gave the stored delivery rows. */
const STORED_BY_JOB = 'deliver:stored-batch';

describe('delivery processor: batches', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;

  const user = async (name: string, active = true): Promise<string> => {
    const id = randomUUID();
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash, active) VALUES ($1, $2, $3, 'x', $4)`, [
      id,
      `${name}-${id}@test`,
      name,
      active,
    ]);
    return id;
  };

  /** A group conversation with its data key; the sender and the recipients are its participants. */
  const conversation = async (senderId: string, recipientIds: string[]): Promise<string> => {
    const id = randomUUID();
    await sql.transaction(async (manager) => {
      await manager.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'class 4b', $2)`, [id, senderId]);
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [id, [senderId, ...recipientIds]]);
      await worker.get(ConversationKeyService).createKey(manager, id);
    });
    return id;
  };

  /** A stored, queued message with a delivery row per recipient, as the api's group commit leaves it. */
  const message = async (conversationId: string, senderId: string, recipientIds: string[], content: string, seq: number): Promise<string> => {
    const id = randomUUID();
    const sealed = await worker.get(MessageCrypto).encrypt(conversationId, id, content);
    await sql.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued')`,
      [id, conversationId, seq, senderId, sealed.ciphertext, sealed.iv, sealed.authTag, sealed.keyVersion],
    );
    await sql.query(`INSERT INTO message_deliveries (message_id, recipient_id, job_id) SELECT $1, unnest($2::uuid[]), $3`, [id, recipientIds, STORED_BY_JOB]);
    return id;
  };

  const deliveries = (messageId: string) =>
    sql.query(
      `SELECT recipient_id, status, attempts, job_id, sent_at, delivered_at, read_at FROM message_deliveries WHERE message_id = $1 ORDER BY recipient_id`,
      [messageId],
    ) as Promise<
      { recipient_id: string; status: string; attempts: number; job_id: string; sent_at: Date | null; delivered_at: Date | null; read_at: Date | null }[]
    >;

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
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    worker = await (await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile()).init();
    sql = worker.get(DataSource);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('sends a batch to everyone it can reach, and splits out only the messages that cannot go out entirely', async () => {
    const teacher = await user('teacher');
    const [amy, ben, gone] = [await user('amy'), await user('ben'), await user('gone', false)];
    const classGroup = await conversation(teacher, [amy, ben]);
    const withGone = await conversation(teacher, [amy, gone]);
    const fine = await message(classGroup, teacher, [amy, ben], 'Trip money due Friday', 1);
    const partly = await message(withGone, teacher, [amy, gone], 'Reading week starts Monday', 1);
    const unreadable = await message(classGroup, teacher, [amy, ben], 'Swimming kit needed', 2);
    // A flipped tag bit: this one can never be decrypted.
    await sql.query(`UPDATE messages SET auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 1) WHERE id = $1`, [unreadable]);

    const registry = worker.get(QueueRegistry);
    const delivery = registry.get(QUEUE.DELIVERY);
    const batchJobId = await worker.get(MessageQueueService).addMessageDeliveryJob({ messageIds: [fine, partly, unreadable] });
    const batch = await eventually(async () => {
      const job = await delivery.getJob(batchJobId);
      // Read again once completed: the first read may predate the result.
      return job && (await job.isCompleted()) ? ((await delivery.getJob(batchJobId)) ?? undefined) : undefined;
    }, 'the batch job to complete');
    expect(batch.returnvalue).toEqual({ sent: 1, skipped: 0, delivered: 3, splitOut: [partly, unreadable] });

    expect((await deliveries(fine)).map((d) => [d.status, d.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
    ]);
    // Amy got it; the inactive recipient's row now belongs to the message's own job, which fails and retries.
    const ownJob = jobIdFor(JOB.SEND_MESSAGE, { messageIds: [partly] });
    expect(Object.fromEntries((await deliveries(partly)).map((d) => [d.recipient_id, [d.status, d.job_id]]))).toEqual({
      [amy]: ['sent', STORED_BY_JOB],
      [gone]: ['queued', ownJob],
    });
    const partlyJob = await eventually(async () => {
      const job = await delivery.getJob(ownJob);
      return job && job.attemptsMade >= 1 ? job : undefined;
    }, 'the split-out job to have run once');
    expect(partlyJob.failedReason).toMatch(/recipient account is inactive/);
    const unreadableJob = await eventually(async () => {
      const job = await delivery.getJob(jobIdFor(JOB.SEND_MESSAGE, { messageIds: [unreadable] }));
      return job && job.attemptsMade >= 1 ? job : undefined;
    }, 'the unreadable message’s own job to have run once');
    expect(unreadableJob.failedReason).toMatch(/Cannot decrypt message .*: authentication failed/);
    expect((await deliveries(unreadable)).map((d) => d.status)).toEqual(['queued', 'queued']);

    // New messages are indexed by the send itself: the readable ones have search terms, the unreadable one none.
    const terms = (await sql.query(`SELECT message_id, count(*)::int AS n FROM search_terms GROUP BY message_id`)) as { message_id: string; n: number }[];
    expect(Object.fromEntries(terms.map((t) => [t.message_id, t.n]))).toEqual({ [fine]: 4, [partly]: 4 });
    const statuses = (await sql.query(`SELECT id, status FROM messages WHERE id = ANY($1::uuid[])`, [[fine, partly, unreadable]])) as {
      id: string;
      status: string;
    }[];
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({ [fine]: 'sent', [partly]: 'queued', [unreadable]: 'queued' });

    // The same batch again (a duplicate run) sends nothing twice and splits nothing out again.
    const again = await worker.get(MessageQueueService).addMessageDeliveryJob({ messageIds: [fine, partly] }, { jobId: `${batchJobId}:again` });
    await waitForQueuesIdle([delivery], { includeDelayed: false });
    expect((await delivery.getJob(again))?.returnvalue).toEqual({ sent: 1, skipped: 0, delivered: 0, splitOut: [partly] });
    expect((await deliveries(fine)).map((d) => d.attempts)).toEqual([1, 1]);
  });

  it('records a batch of receipts in one go, each only moving its delivery forward', async () => {
    const teacher = await user('teacher');
    const [amy, ben] = [await user('amy'), await user('ben')];
    const group = await conversation(teacher, [amy, ben]);
    const first = await message(group, teacher, [amy, ben], 'Parents evening at six', 1);
    const second = await message(group, teacher, [amy, ben], 'Bring your reading log', 2);
    await sql.query(`UPDATE message_deliveries SET status = 'sent', sent_at = now() WHERE message_id = ANY($1::uuid[])`, [[first, second]]);
    await sql.query(`UPDATE message_deliveries SET status = 'read', delivered_at = now(), read_at = now() WHERE message_id = $1 AND recipient_id = $2`, [
      second,
      ben,
    ]);

    const deliveredAt = '2026-03-02T08:00:00.000Z';
    const readAt = '2026-03-02T08:00:05.000Z';
    const jobId = await worker.get(MessageQueueService).addDeliveryConfirmationJob({
      receipts: [
        { messageId: first, recipientId: amy, status: 'delivered', at: deliveredAt },
        { messageId: second, recipientId: amy, status: 'delivered', at: deliveredAt },
        { messageId: second, recipientId: amy, status: 'read', at: readAt },
        // Already read: a late `delivered` changes nothing.
        { messageId: second, recipientId: ben, status: 'delivered', at: deliveredAt },
        // No such delivery.
        { messageId: randomUUID(), recipientId: amy, status: 'read', at: readAt },
      ],
    });
    // (The first test's split-out jobs are still retrying, delayed: they do not count here.)
    await waitForQueuesIdle([worker.get(QueueRegistry).get(QUEUE.DELIVERY)], { includeDelayed: false });
    expect((await worker.get(QueueRegistry).get(QUEUE.DELIVERY).getJob(jobId))?.returnvalue).toEqual({ recorded: 2, unchanged: 2 });

    const byRecipient = async (messageId: string) => Object.fromEntries((await deliveries(messageId)).map((d) => [d.recipient_id, d]));
    expect((await byRecipient(first))[amy]).toMatchObject({ status: 'delivered', delivered_at: new Date(deliveredAt), read_at: null });
    expect((await byRecipient(first))[ben]).toMatchObject({ status: 'sent' });
    expect((await byRecipient(second))[amy]).toMatchObject({ status: 'read', delivered_at: new Date(deliveredAt), read_at: new Date(readAt) });
    expect((await byRecipient(second))[ben]).toMatchObject({ status: 'read' });
    const [position] = (await sql.query(`SELECT last_read_seq FROM conversation_participants WHERE conversation_id = $1 AND user_id = $2`, [group, amy])) as {
      last_read_seq: string;
    }[];
    expect(Number(position?.last_read_seq)).toBe(2);
  });

  it('shows a send that failed for good on its deliveries: each attempt with its error, the last one failed, the message failed, a dead letter', async () => {
    const teacher = await user('teacher');
    const [amy, ben] = [await user('amy'), await user('ben')];
    const group = await conversation(teacher, [amy, ben]);
    const unreadable = await message(group, teacher, [amy, ben], 'Nit check on Monday', 1);
    await sql.query(`UPDATE messages SET auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 1) WHERE id = $1`, [unreadable]);
    const failures = (messageId: string) =>
      sql.query(`SELECT status, attempts, failure_reason, failed_at FROM message_deliveries WHERE message_id = $1 ORDER BY recipient_id`, [
        messageId,
      ]) as Promise<{ status: string; attempts: number; failure_reason: string | null; failed_at: Date | null }[]>;
    // The queue's policy retries for half a minute; two quick attempts show the same path.
    const delivery = worker.get(QueueRegistry).get(QUEUE.DELIVERY);
    const jobId = `${jobIdFor(JOB.SEND_MESSAGE, { messageIds: [unreadable] })}:two-attempts`;
    await delivery.add(JOB.SEND_MESSAGE, { messageIds: [unreadable] }, { jobId, attempts: 2, backoff: { type: 'fixed', delay: 300 } });

    const afterFirst = await eventually(async () => {
      const rows = await failures(unreadable);
      return rows.every((r) => r.attempts === 1) ? rows : undefined;
    }, 'the first attempt recorded on the deliveries');
    for (const row of afterFirst) {
      expect(row).toMatchObject({
        status: 'queued',
        failed_at: null,
        failure_reason: expect.stringMatching(/Cannot decrypt message .*: authentication failed/),
      });
    }
    const afterLast = await eventually(async () => {
      const rows = await failures(unreadable);
      return rows.every((r) => r.status === 'failed') ? rows : undefined;
    }, 'the deliveries marked failed');
    for (const row of afterLast) {
      expect(row).toMatchObject({ attempts: 2, failed_at: expect.any(Date), failure_reason: expect.stringMatching(/Cannot decrypt message/) });
    }
    const [stored] = (await sql.query(`SELECT status FROM messages WHERE id = $1`, [unreadable])) as { status: string }[];
    expect(stored?.status).toBe('failed');
    const deadLetters = await eventually(async () => {
      const rows = (await sql.query(`SELECT failed_reason, attempts_made FROM dead_letters WHERE job_id = $1`, [jobId])) as {
        failed_reason: string;
        attempts_made: number;
      }[];
      return rows.length > 0 ? rows : undefined;
    }, 'the dead letter');
    expect(deadLetters).toEqual([{ failed_reason: expect.stringMatching(/Cannot decrypt message/), attempts_made: 2 }]);
  });
});
