import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { ConversationKeyService, MessageCrypto } from '@mq/messaging';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, testQueueConfig, waitForQueuesIdle } from '@mq/queue/testing';
import { QUEUE } from '@mq/queue-contracts';
import { startTracing, toTracingConfig, tracingEnvSchema } from '@mq/tracing';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';

/**
 * The worker's spans, in process with an in-memory exporter: a send job of three messages (two
 * traced, one not) runs each traced message in its own trace, its socket emit under its own job
 * span; a receipt job continues the ack's trace.
 */
describe('delivery processor: tracing', () => {
  const exporter = new InMemorySpanExporter();
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;

  beforeAll(async () => {
    startTracing(toTracingConfig(tracingEnvSchema.parse({}), 'worker'), exporter);
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

  const user = async (name: string): Promise<string> => {
    const id = randomUUID();
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, 'x')`, [id, `${name}-${id}@test`, name]);
    return id;
  };

  it('carries each message of a batch on in its own trace, through the emit to the receipt', async () => {
    const [teacher, amy] = [await user('teacher'), await user('amy')];
    const conversation = randomUUID();
    await sql.transaction(async (manager) => {
      await manager.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'class 4b', $2)`, [conversation, teacher]);
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [conversation, [teacher, amy]]);
      await worker.get(ConversationKeyService).createKey(manager, conversation);
    });
    const ids: string[] = [];
    for (const [seq, content] of ['First', 'Second', 'Third'].entries()) {
      const id = randomUUID();
      const sealed = await worker.get(MessageCrypto).encrypt(conversation, id, content);
      await sql.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued')`,
        [id, conversation, seq + 1, teacher, sealed.ciphertext, sealed.iv, sealed.authTag, sealed.keyVersion],
      );
      await sql.query(`INSERT INTO message_deliveries (message_id, recipient_id) VALUES ($1, $2)`, [id, amy]);
      ids.push(id);
    }
    const sends = [`00-${'a'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'b'.repeat(32)}-${'2'.repeat(16)}-01`, ''];
    const queues = worker.get(MessageQueueService);
    await queues.addMessageDeliveryJob({ messageIds: ids, traceparents: sends });
    const delivery = worker.get(QueueRegistry).get(QUEUE.DELIVERY);
    await waitForQueuesIdle([delivery], { includeDelayed: false });

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const [batch] = named('job send-message batch') as [ReadableSpan];
    expect(batch.links.map((l) => l.context.traceId).sort()).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    for (const send of sends.slice(0, 2)) {
      const traceId = send.slice(3, 35);
      const job = named('job send-message').find((s) => s.spanContext().traceId === traceId) as ReadableSpan;
      expect(job.parentSpanContext?.spanId).toBe(send.slice(36, 52));
      const emit = named('socket emit message:new').filter((s) => s.spanContext().traceId === traceId);
      expect(emit.map((s) => s.parentSpanContext?.spanId)).toEqual([job.spanContext().spanId]);
    }
    // The untraced message's emit is under the batch span.
    expect(named('socket emit message:new').filter((s) => s.parentSpanContext?.spanId === batch.spanContext().spanId)).toHaveLength(1);

    // Amy's ack continued trace a's emit: the receipt job is a child of it.
    const ack = `00-${'a'.repeat(32)}-${'3'.repeat(16)}-01`;
    await queues.addDeliveryConfirmationJob({
      receipts: [{ messageId: ids[0] as string, recipientId: amy, status: 'delivered', at: new Date().toISOString(), traceparent: ack }],
    });
    await waitForQueuesIdle([delivery], { includeDelayed: false });
    const [receiptJob] = exporter.getFinishedSpans().filter((s) => s.name === 'job delivery-confirmation');
    expect(receiptJob?.spanContext().traceId).toBe('a'.repeat(32));
    expect(receiptJob?.parentSpanContext?.spanId).toBe('3'.repeat(16));
  });
});
