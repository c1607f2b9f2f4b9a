import Queue from 'bull';
import { ApiError, MessagingClient } from '@mq/messaging-client';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { TestStack } from './support/stack';
import { sql } from './support/sql';

describe('operator queue endpoints', () => {
  let stack: TestStack;
  let admin: MessagingClient;
  let user: MessagingClient;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, worker: false });
    admin = await stack.admin();
    [{ client: user }] = (await stack.users(1)) as [{ id: string; client: MessagingClient }];
  });

  afterAll(() => stack?.stop());

  it('reports the counts Bull holds for all six queues, and pauses and resumes a queue', async () => {
    const [other] = await stack.users(1, 0, 'peer');
    const { body: conversation } = await user.createConversation({ type: 'direct', participantIds: [other?.id ?? ''] });
    for (let i = 0; i < 3; i++) await user.sendMessage({ conversationId: conversation.id, content: `waiting ${i}` });

    const metrics = await admin.getQueueMetrics();
    expect(Object.keys(metrics.queues).sort()).toEqual([...QUEUE_NAMES].sort());
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { prefix: stack.queue.prefix, redis: { port: stack.queue.redis.port, host: stack.queue.redis.host } });
      try {
        const counts = await queue.getJobCounts();
        expect({ name, ...metrics.queues[name] }).toEqual({ name, ...counts, paused: metrics.queues[name]?.paused });
      } finally {
        await queue.close();
      }
    }
    expect(metrics.queues['message-delivery']?.waiting).toBe(3);
    expect(await admin.getMessagesQueueMetrics()).toMatchObject({ totals: metrics.totals });

    await admin.pauseQueue('message-delivery');
    expect((await admin.getQueueHealth()).queues['message-delivery']).toMatchObject({ paused: true, status: 'degraded' });
    await admin.resumeQueue('message-delivery');
    expect((await admin.getQueueHealth()).queues['message-delivery']?.paused).toBe(false);
    const audit = await sql<{ action: string; target: string }>(stack.database.url, `SELECT action, target FROM audit_log ORDER BY at`);
    expect(audit).toEqual([
      { action: 'queue.pause', target: 'message-delivery' },
      { action: 'queue.resume', target: 'message-delivery' },
    ]);
  });

  it('refuses non-admins (403) and unknown queues or jobs (404); a job that is not failed is not retried (409)', async () => {
    const status = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.status : 0));
    expect(await status(user.getQueueMetrics())).toBe(403);
    expect(await status(user.pauseQueue('message-delivery'))).toBe(403);
    expect(await status(user.listDeadLetters())).toBe(403);
    expect(await status(admin.pauseQueue('no-such-queue'))).toBe(404);
    expect(await status(admin.getJob('deliver:00000000-0000-4000-8000-000000000000'))).toBe(404);
    const [other] = await stack.users(1, 0, 'peer2');
    const { body: conversation } = await user.createConversation({ type: 'direct', participantIds: [other?.id ?? ''] });
    const sent = await user.sendMessage({ conversationId: conversation.id, content: 'x' });
    expect(await status(admin.retryJob(sent.body.jobId))).toBe(409);
  });
});
