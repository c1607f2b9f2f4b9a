import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EncryptionKeyRepository } from '@mq/db';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { ConversationKeyService, MessageCrypto } from '@mq/messaging';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig } from '@mq/queue/testing';
import { QUEUE } from '@mq/queue-contracts';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';
import { RotationResult } from './encryption.processor';

/**
 * Key rotation through the real worker (Postgres, Redis, processors): a conversation that
 * cannot be read is rolled back, left as it was and named in the result; the rest rotate.
 */
interface StoredMessage {
  id: string;
  conversation_id: string;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  key_version: number;
}

describe('encryption processor: key rotation', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;
  let sender: string;

  /** What the api holds: its own key cache, so nothing the worker reads comes from a cache the test filled. */
  const apiCrypto = () => new MessageCrypto(new ConversationKeyService(new EncryptionKeyRepository(sql), config.keyring));

  /** A conversation with its data key and `contents` as messages, sent the way the api sends them. */
  const conversation = async (contents: string[]): Promise<string> => {
    const id = randomUUID();
    const crypto = apiCrypto();
    await sql.transaction(async (manager) => {
      await manager.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'class 4b', $2)`, [id, sender]);
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2)`, [id, sender]);
      await new ConversationKeyService(new EncryptionKeyRepository(sql), config.keyring).createKey(manager, id);
    });
    for (const [i, content] of contents.entries()) {
      const messageId = randomUUID();
      const sealed = await crypto.encrypt(id, messageId, content);
      await sql.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent')`,
        [messageId, id, i + 1, sender, sealed.ciphertext, sealed.iv, sealed.authTag, sealed.keyVersion],
      );
    }
    return id;
  };

  const messages = (conversationId: string) =>
    sql.query(`SELECT id, conversation_id, ciphertext, iv, auth_tag, key_version FROM messages WHERE conversation_id = $1 ORDER BY seq`, [
      conversationId,
    ]) as Promise<StoredMessage[]>;

  const keyRows = (conversationId: string) =>
    sql.query(`SELECT version, status, master_key_id FROM encryption_keys WHERE conversation_id = $1 ORDER BY version`, [conversationId]) as Promise<
      { version: number; status: string; master_key_id: string }[]
    >;

  /** Decrypted with a fresh key service: what is in the database, not in a cache. */
  const readAll = async (conversationId: string) => {
    const crypto = apiCrypto();
    const rows = await messages(conversationId);
    return Promise.all(
      rows.map((m) => crypto.decrypt({ id: m.id, conversationId, ciphertext: m.ciphertext, iv: m.iv, authTag: m.auth_tag, keyVersion: m.key_version })),
    );
  };

  /** What the audit log holds about one rotation job, read from Postgres. */
  const auditOf = (jobId: string) =>
    sql.query(`SELECT actor_id, action, target, count, detail FROM audit_log WHERE target = $1`, [jobId]) as Promise<
      { actor_id: string | null; action: string; target: string; count: number; detail: RotationResult & { rotationId: string } }[]
    >;

  const rotate = async (): Promise<RotationResult & { jobId: string }> => {
    const queue = worker.get(QueueRegistry).get(QUEUE.ENCRYPTION);
    const jobId = await worker.get(MessageQueueService).addEncryptionJob({ rotationId: randomUUID(), operation: 'rotate' });
    const job = await eventually(
      async () => {
        const found = await queue.getJob(jobId);
        if (found && (await found.isFailed())) throw new Error(`rotation failed: ${found.failedReason}`);
        // Read again once completed: the first read may predate the result.
        return found && (await found.isCompleted()) ? ((await queue.getJob(jobId)) ?? undefined) : undefined;
      },
      'the rotation job to complete',
      30_000,
    );
    return { ...(job.returnvalue as RotationResult), jobId };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const queue = testQueueConfig();
    config = loadWorkerConfig({
      NODE_ENV: 'test',
      ...testDatabaseEnv(db),
      REDIS_PORT: String(queue.redis.port),
      QUEUE_PREFIX: queue.prefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'error',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // Several batches per conversation, all in its one transaction.
      ENCRYPTION_ROTATION_BATCH_SIZE: '2',
    });
    worker = await (await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile()).init();
    sql = worker.get(DataSource);
    sender = randomUUID();
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'teacher', 'x')`, [sender, `teacher-${sender}@test`]);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  const texts = (label: string) => Array.from({ length: 5 }, (_, i) => `${label} note ${i + 1}`);
  let corrupt: string;

  it('skips the conversation with a corrupt message, leaving it exactly as it was, and rotates the others', async () => {
    const [first, second] = [await conversation(texts('trip')), await conversation(texts('reading'))];
    corrupt = await conversation(texts('swimming'));
    // The fourth of five: two batches of this conversation are re-encrypted before it fails.
    const [, , , unreadable] = await messages(corrupt);
    await sql.query(`UPDATE messages SET auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 1) WHERE id = $1`, [unreadable?.id]);
    const before = await messages(corrupt);

    const { jobId, ...result } = await rotate();

    expect(result).toEqual({
      outcome: 'completed',
      rewrapped: 0,
      conversations: 2,
      reencrypted: 10,
      skipped: 1,
      skippedConversationIds: [corrupt],
      unreadableKeys: 0,
    });
    for (const [id, label] of [
      [first, 'trip'],
      [second, 'reading'],
    ] as const) {
      expect(await keyRows(id)).toEqual([
        { version: 1, status: 'retired', master_key_id: 'k1' },
        { version: 2, status: 'active', master_key_id: 'k1' },
      ]);
      expect((await messages(id)).map((m) => m.key_version)).toEqual([2, 2, 2, 2, 2]);
      expect(await readAll(id)).toEqual(texts(label));
    }
    // Rolled back whole: no version 2, and every row (the batches before the bad one too) as before.
    expect(await keyRows(corrupt)).toEqual([{ version: 1, status: 'active', master_key_id: 'k1' }]);
    expect(await messages(corrupt)).toEqual(before);
    // Recorded where an operator finds it after the job is gone: the count and the ids.
    const [entry, ...more] = await auditOf(jobId);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ actor_id: null, action: 'encryption.rotate.completed', count: 1 });
    expect(entry?.detail).toMatchObject({ skipped: 1, skippedConversationIds: [corrupt], conversations: 2, reencrypted: 10 });
  });

  it('skips a conversation whose data key no configured master key opens, and leaves that key as it was', async () => {
    const lostKey = await conversation(texts('lost'));
    // Wrapped by a master key this deployment no longer has.
    await sql.query(`UPDATE encryption_keys SET master_key_id = 'k0' WHERE conversation_id = $1`, [lostKey]);
    const before = await messages(lostKey);

    const result = await rotate();

    expect(result).toMatchObject({ outcome: 'completed', rewrapped: 0, unreadableKeys: 1, conversations: 2, skipped: 2 });
    expect([...result.skippedConversationIds].sort()).toEqual([corrupt, lostKey].sort());
    const [entry] = await auditOf(result.jobId);
    expect(entry).toMatchObject({ action: 'encryption.rotate.completed', count: 2, detail: { unreadableKeys: 1, skipped: 2 } });
    expect([...(entry?.detail.skippedConversationIds ?? [])].sort()).toEqual([corrupt, lostKey].sort());
    expect(await keyRows(lostKey)).toEqual([{ version: 1, status: 'active', master_key_id: 'k0' }]);
    expect(await messages(lostKey)).toEqual(before);
  });
});
