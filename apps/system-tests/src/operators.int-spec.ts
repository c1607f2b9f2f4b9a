import Queue from 'bull';
import { ApiError, MessagingClient } from '@mq/messaging-client';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';
import { queueKeyPrefix } from '@mq/queue';

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

    const metrics = await admin.operator.getQueueMetrics();
    expect(Object.keys(metrics.queues).sort()).toEqual([...QUEUE_NAMES].sort());
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        prefix: queueKeyPrefix(stack.queue.prefix, name),
        redis: { port: stack.queue.redis.port, host: stack.queue.redis.host },
      });
      try {
        const counts = await queue.getJobCounts();
        expect({ name, ...metrics.queues[name] }).toEqual({ name, ...counts, paused: metrics.queues[name]?.paused });
      } finally {
        await queue.close();
      }
    }
    expect(metrics.queues['message-delivery']?.waiting).toBe(3);
    expect(await admin.operator.getMessagesQueueMetrics()).toMatchObject({ totals: metrics.totals });

    await admin.operator.pauseQueue('message-delivery');
    expect((await admin.operator.getQueueHealth()).queues['message-delivery']).toMatchObject({ paused: true, status: 'degraded' });
    await admin.operator.resumeQueue('message-delivery');
    expect((await admin.operator.getQueueHealth()).queues['message-delivery']?.paused).toBe(false);
    // The queue actions (creating the test's users is audited too).
    const audit = await sql<{ action: string; target: string }>(
      stack.database.url,
      `SELECT action, target FROM audit_log WHERE action LIKE 'queue.%' ORDER BY at`,
    );
    expect(audit).toEqual([
      { action: 'queue.pause', target: 'message-delivery' },
      { action: 'queue.resume', target: 'message-delivery' },
    ]);
  });

  it('refuses non-admins (403) and unknown queues or jobs (404); a job that is not failed is not retried (409)', async () => {
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: unknown) => (e instanceof ApiError ? e.status : 0),
      );
    expect(await status(user.operator.getQueueMetrics())).toBe(403);
    expect(await status(user.operator.pauseQueue('message-delivery'))).toBe(403);
    expect(await status(user.operator.listDeadLetters())).toBe(403);
    expect(await status(admin.operator.pauseQueue('no-such-queue'))).toBe(404);
    expect(await status(admin.operator.getJob('deliver:00000000-0000-4000-8000-000000000000'))).toBe(404);
    const [other] = await stack.users(1, 0, 'peer2');
    const { body: conversation } = await user.createConversation({ type: 'direct', participantIds: [other?.id ?? ''] });
    const sent = await user.sendMessage({ conversationId: conversation.id, content: 'x' });
    expect(await status(admin.operator.retryJob(sent.body.jobId))).toBe(409);
  });
});

describe('bulk queue actions: dry runs count, real runs act in chunks, all audited', () => {
  let stack: TestStack;
  let admin: MessagingClient;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, worker: false });
    admin = await stack.admin();
  });

  afterAll(() => stack?.stop());

  it('retries failed, cleans and promotes in chunks, with dry runs that change nothing', async () => {
    const redis = { port: stack.queue.redis.port, host: stack.queue.redis.host };
    const runId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const payload = (i: number) => ({ runId: runId(i), cleanupType: 'all', retentionDays: 30, batchSize: 10, dryRun: true });
    // 1,200 jobs (more than one chunk) that really fail, through a processor of the test's own.
    const failing = new Queue('message-cleanup', { prefix: queueKeyPrefix(stack.queue.prefix, 'message-cleanup'), redis });
    await failing.addBulk(
      Array.from({ length: 1_200 }, (_, i) => ({ name: 'cleanup-messages', data: payload(i), opts: { jobId: `cleanup:${runId(i)}`, attempts: 1 } })),
    );
    void failing.process('cleanup-messages', 50, () => Promise.reject(new Error('simulated provider outage')));
    await eventually(async () => ((await failing.getFailedCount()) === 1_200 ? true : undefined), '1,200 failures', 30_000);
    await failing.close();

    const queue = new Queue('message-cleanup', { prefix: queueKeyPrefix(stack.queue.prefix, 'message-cleanup'), redis });
    try {
      for (let i = 0; i < 3; i++) await queue.add('cleanup-messages', payload(5_000 + i), { jobId: `cleanup:${runId(5_000 + i)}`, delay: 3_600_000 });

      const page = await admin.operator.listQueueJobs('message-cleanup', { state: 'failed', start: 0, end: 9 });
      expect(page.total).toBe(1_200);
      expect(page.jobs).toHaveLength(10);
      expect(page.jobs[0]).toMatchObject({ state: 'failed', failedReason: 'simulated provider outage' });

      expect((await admin.operator.retryFailedJobs('message-cleanup', { dryRun: true })).body).toEqual({ dryRun: true, matched: 1_200 });
      expect((await admin.operator.cleanQueue('message-cleanup', { state: 'failed', olderThanMs: 0, dryRun: true })).body).toEqual({
        dryRun: true,
        matched: 1_200,
      });
      expect((await admin.operator.cleanQueue('message-cleanup', { state: 'failed', olderThanMs: 3_600_000, dryRun: true })).body).toEqual({
        dryRun: true,
        matched: 0,
      });
      expect(await queue.getFailedCount()).toBe(1_200);

      expect(await admin.operator.promoteDelayedJobs('message-cleanup', { dryRun: true })).toEqual({ status: 200, body: { dryRun: true, matched: 3 } });
      expect(await admin.operator.promoteDelayedJobs('message-cleanup')).toEqual({ status: 202, body: { promoted: 3 } });
      expect(await queue.getDelayedCount()).toBe(0);

      expect(await admin.operator.retryFailedJobs('message-cleanup')).toEqual({ status: 202, body: { retried: 1_200 } });
      expect(await queue.getFailedCount()).toBe(0);
      expect(await queue.getWaitingCount()).toBe(1_203);

      // Let them complete, then clean the completed ones: 1,203 removed over several chunks.
      void queue.process('cleanup-messages', 50, () => Promise.resolve({ ok: true }));
      await eventually(async () => ((await queue.getCompletedCount()) === 1_203 ? true : undefined), 'completion', 30_000);
      expect((await admin.operator.cleanQueue('message-cleanup', { state: 'completed', olderThanMs: 0 })).body).toEqual({ removed: 1_203 });
      expect(await queue.getCompletedCount()).toBe(0);
    } finally {
      await queue.close();
    }
    const audit = await admin.operator.listAuditEntries();
    expect(audit.map((a) => [a.action, a.target, a.count])).toEqual([
      ['queue.clean', 'message-cleanup', 1_203],
      ['queue.retry-failed', 'message-cleanup', 1_200],
      ['queue.promote', 'message-cleanup', 3],
    ]);
  }, 60_000);
});

describe('Bull Board at /admin/queues', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, worker: false });
  });

  afterAll(() => stack?.stop());

  it('opens for an admin (all six queues), read-only for an operator, and for nobody else', async () => {
    const base = `${stack.api().url}/admin/queues`;
    const admin = await stack.admin();
    const bearer = (token: string | null) => ({ authorization: `Bearer ${token ?? ''}` });

    const page = await fetch(base, { headers: bearer(admin.token) });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${base}/api/queues`, { headers: bearer(admin.token) });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual([...QUEUE_NAMES].sort());

    expect((await fetch(base)).status).toBe(401);
    const [user] = await stack.users(1);
    expect((await fetch(base, { headers: bearer(user?.client.token ?? null) })).status).toBe(403);

    await admin.operator.createUser({ email: 'ops@system.test', password: 'operator-password', displayName: 'Ops', role: 'operator' });
    const operator = new MessagingClient({ baseUrl: stack.api().url });
    await operator.login({ email: 'ops@system.test', password: 'operator-password' });
    expect((await fetch(`${base}/api/queues`, { headers: bearer(operator.token) })).status).toBe(200);
    const pauseAsOperator = await fetch(`${base}/api/queues/message-delivery/pause`, { method: 'PUT', headers: bearer(operator.token) });
    expect(pauseAsOperator.status).toBe(403);

    const crossOrigin = await fetch(`${base}/api/queues/message-delivery/pause`, {
      method: 'PUT',
      headers: { ...bearer(admin.token), origin: 'http://evil.test' },
    });
    expect(crossOrigin.status).toBe(403);
    const pause = await fetch(`${base}/api/queues/message-delivery/pause`, { method: 'PUT', headers: bearer(admin.token) });
    expect(pause.status).toBeLessThan(300);
    expect((await admin.operator.getQueueHealth()).queues['message-delivery']?.paused).toBe(true);
    const audit = await admin.operator.listAuditEntries();
    expect(audit.map((a) => [a.action, a.target])).toContainEqual(['bull-board.put', '/api/queues/message-delivery/pause']);
  });
});
