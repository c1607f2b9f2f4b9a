import Queue from 'bull';
import { ConversationInbox, MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { QUEUE, QUEUE_POLICY } from '@mq/queue-contracts';
import { sql, TestStack } from '@mq/system-testing';
import { queueKeyPrefix } from '@mq/queue';

type Member = { id: string; client: MessagingClient };

/**
 * A send job whose worker vanished while holding it, once more than the queue's
 * `maxStalledCount` allows, is failed by Bull ("job stalled more than allowable limit") in
 * Redis alone: no processor runs, so nothing of the delivery's own code records it. Postgres
 * must still say what happened: the deliveries and the message `failed` with that reason, a
 * dead letter, the operators' failed list, and nothing delivered to the recipient.
 * (A worker killed with jobs it can still take back is `faults.int-spec.ts`: every delivery
 * ends `delivered`, once.)
 */
describe('a send job stalled past its limit', () => {
  let stack: TestStack;
  let socket: RealtimeConnection | undefined;

  beforeAll(async () => {
    // No worker yet: the job waits in Redis for the consumer that will vanish with it.
    stack = await TestStack.start({ apis: 1, worker: false });
  });

  afterAll(async () => {
    socket?.disconnect();
    await stack?.stop();
  });

  it('fails its deliveries and message in Postgres with the stall reason, dead-lettered and listed for operators', async () => {
    const [alice, bob] = (await stack.users(2)) as [Member, Member];
    const admin = await stack.admin();
    const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    socket = bob.client.connect({ autoAckDelivered: true });
    await socket.ready();
    const inbox = new ConversationInbox(conversation.id);
    inbox.attach(socket);
    const { body: sent } = await alice.client.sendMessage({ conversationId: conversation.id, content: 'Allergy plan updated' });
    const messageId = sent.message.id;

    // A consumer takes the job with the queue's own lock and vanishes without a word: what a
    // worker killed mid-job leaves in Redis. Its lock runs out and nobody renews it.
    const { redis, prefix } = stack.queue;
    const consumer = new Queue(QUEUE.DELIVERY, {
      prefix: queueKeyPrefix(prefix, QUEUE.DELIVERY),
      redis: { host: redis.host, port: redis.port, db: redis.db },
      settings: { lockDuration: QUEUE_POLICY[QUEUE.DELIVERY].lockDurationMs },
    });
    const taken = await consumer.getNextJob();
    expect(taken?.id).toBe(sent.jobId);
    // It had already stalled as often as allowed (two workers lost with it before).
    await consumer.client.hset(consumer.toKey(String(sent.jobId)), 'stalledCounter', QUEUE_POLICY[QUEUE.DELIVERY].maxStalledCount);
    await consumer.close();

    // The worker's stall check finds it unlocked once more and fails it for good.
    await stack.startWorker();
    const [failed] = await eventually(
      async () => {
        const deliveries = await alice.client.listDeliveries(messageId);
        return deliveries.every((d) => d.status === 'failed') ? deliveries : undefined;
      },
      'the delivery to be failed for good',
      60_000,
    );
    expect(failed).toMatchObject({ recipientId: bob.id, status: 'failed', failureReason: 'job stalled more than allowable limit' });
    const job = await admin.operator.getJob(sent.jobId);
    expect(job).toMatchObject({ state: 'failed', failedReason: 'job stalled more than allowable limit' });

    const [message] = await sql<{ status: string }>(stack.database.url, `SELECT status FROM messages WHERE id = $1`, [messageId]);
    expect(message?.status).toBe('failed');
    const page = await admin.operator.listFailedDeliveries();
    expect(page.deliveries.filter((d) => d.messageId === messageId)).toEqual([
      expect.objectContaining({ recipientId: bob.id, jobId: sent.jobId, failureReason: 'job stalled more than allowable limit' }),
    ]);
    const deadLetters = await eventually(async () => {
      const found = (await admin.operator.listDeadLetters()).filter((d) => d.jobId === sent.jobId);
      return found.length > 0 ? found : undefined;
    }, 'the dead letter');
    expect(deadLetters).toEqual([expect.objectContaining({ failedReason: 'job stalled more than allowable limit' })]);
    // Never run, so never emitted: the recipient has nothing, and the operators' views hold no content.
    expect(inbox.has(messageId)).toBe(false);
    expect(JSON.stringify([failed, job, page, deadLetters])).not.toContain('Allergy');
  });
});
