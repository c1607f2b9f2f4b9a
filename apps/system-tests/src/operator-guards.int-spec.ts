import Queue from 'bull';
import Redis from 'ioredis';
import type { Alert } from '@mq/messaging-contracts';
import { ThrowawayRedis, eventually, startThrowawayRedis } from '@mq/queue/testing';
import { ADMIN, TestStack } from '@mq/system-testing';
import { queueKeyPrefix } from '@mq/queue';

const UUID = '00000000-0000-4000-8000-000000000000';

/** Every operator endpoint of the contract (and Bull Board), with a harmless body. */
const OPERATOR_CALLS: [string, string, unknown?][] = [
  ['GET', `/messages/jobs/deliver:${UUID}`],
  ['POST', `/messages/jobs/deliver:${UUID}/retry`],
  ['GET', '/messages/queue/metrics'],
  ['GET', '/queue/metrics'],
  ['GET', '/queue/health'],
  ['POST', '/queue/message-delivery/pause'],
  ['POST', '/queue/message-delivery/resume'],
  ['POST', '/queue/message-delivery/retry-failed', { dryRun: true }],
  ['POST', '/queue/message-delivery/clean', { state: 'failed', olderThanMs: 0, dryRun: true }],
  ['POST', '/queue/message-delivery/promote', { dryRun: true }],
  ['GET', '/queue/message-delivery/jobs?state=failed'],
  ['GET', '/queue/metrics/history?minutes=60'],
  ['GET', '/deliveries/failed'],
  ['POST', '/deliveries/retry', { messageIds: [UUID] }],
  ['GET', '/dead-letters'],
  ['POST', `/dead-letters/${UUID}/replay`],
  ['DELETE', `/dead-letters/${UUID}`],
  ['POST', '/messages/broadcast', { allUsers: true, content: 'x' }],
  ['GET', `/messages/batches/${UUID}`],
  ['GET', `/messages/batches/${UUID}/detail`],
  ['POST', `/messages/batches/${UUID}/pause`],
  ['POST', `/messages/batches/${UUID}/resume`],
  ['POST', `/messages/batches/${UUID}/cancel`],
  ['GET', '/alerts?state=open'],
  ['POST', '/admin/encryption/rotate'],
  ['GET', '/audit'],
  ['GET', `/messages/${UUID}/timeline`],
  ['GET', '/jobs/search?q=x'],
  ['GET', `/ledger/accesses?subjectId=${UUID}`],
  ['GET', `/ledger/accesses.csv?subjectId=${UUID}`],
  ['GET', '/ledger/verify'],
  ['POST', '/users', { email: 'x@system.test', password: 'a-long-password', displayName: 'X' }],
  ['PATCH', `/users/${UUID}`, { displayName: 'X' }],
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/api/queues'],
];

describe('operator endpoints are for admins only', () => {
  let redis: ThrowawayRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    stack = await TestStack.start({
      apis: 1,
      redisPort: redis.port,
      env: { METRICS_SAMPLE_INTERVAL_MS: '500', ALERT_FAILURE_WINDOW_MINUTES: '1', ALERT_FAILURE_MIN_JOBS: '20', ALERT_FAILURE_RATE_PERCENT: '20' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  const call = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.api().url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('answers 401 to anonymous callers and 403 to signed-in non-admins on every one, changing nothing', async () => {
    const [user] = await stack.users(1);
    const userToken = user?.client.token ?? '';
    for (const [method, path, body] of OPERATOR_CALLS) {
      const anonymous = await call(method, path, body);
      expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
      const asUser = await call(method, path, body, { authorization: `Bearer ${userToken}` });
      expect({ method, path, status: asUser.status }).toEqual({ method, path, status: 403 });
    }
    const admin = await stack.admin();
    expect((await admin.operator.getQueueHealth()).queues['message-delivery']?.paused).toBe(false);
  });

  it('rejects a cross-origin POST carrying the admin cookie (no CSRF token a foreign page could know)', async () => {
    const login = await call('POST', '/auth/login', ADMIN);
    const cookies = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const forged = await call('POST', '/queue/message-delivery/pause', {}, { cookie: cookies, origin: 'http://evil.test' });
    expect(forged.status).toBe(403);
    const board = await call('PUT', '/admin/queues/api/queues/message-delivery/pause', undefined, { cookie: cookies, origin: 'http://evil.test' });
    expect(board.status).toBe(403);
    const admin = await stack.admin();
    expect((await admin.operator.getQueueHealth()).queues['message-delivery']?.paused).toBe(false);
  });

  it('counts 100,000 failed jobs in a dry run, then removes them all', async () => {
    const admin = await stack.admin();
    const client = new Redis({ host: '127.0.0.1', port: redis.port });
    const name = 'message-notification';
    const key = (suffix: string) => `${queueKeyPrefix(stack.queue.prefix, name)}:${name}:${suffix}`;
    try {
      // 100,000 failed jobs as Bull stores them (a job hash plus the failed sorted set), written in pipelines.
      const finishedOn = Date.now() - 60_000;
      for (let start = 0; start < 100_000; start += 5_000) {
        const pipeline = client.pipeline();
        for (let i = start; i < start + 5_000; i++) {
          const id = `notify:bulk-${i}:${UUID}:in_app`;
          pipeline.hset(key(id), {
            name: 'send-notification',
            data: JSON.stringify({ recipientId: UUID, channel: 'in_app', reason: 'offline' }),
            opts: JSON.stringify({ attempts: 3, jobId: id }),
            timestamp: finishedOn - 1_000,
            delay: 0,
            priority: 5,
            attemptsMade: 3,
            failedReason: 'provider outage',
            stacktrace: '[]',
            processedOn: finishedOn - 500,
            finishedOn,
          });
          pipeline.zadd(key('failed'), finishedOn, id);
        }
        await pipeline.exec();
      }
      const bull = new Queue(name, { prefix: queueKeyPrefix(stack.queue.prefix, name), redis: { host: '127.0.0.1', port: redis.port } });
      expect(await bull.getFailedCount()).toBe(100_000);
      expect((await bull.getFailed(0, 0))[0]?.failedReason).toBe('provider outage');
      await bull.close();

      await client.config('SET', 'slowlog-log-slower-than', '10000'); // log anything over 10 ms, for the report below
      await client.slowlog('RESET');

      const dry = await admin.operator.cleanQueue(name, { state: 'failed', olderThanMs: 0, dryRun: true });
      expect(dry.body).toEqual({ dryRun: true, matched: 100_000 });
      expect(await client.zcard(key('failed'))).toBe(100_000);

      const started = Date.now();
      const real = await admin.operator.cleanQueue(name, { state: 'failed', olderThanMs: 0 });
      const tookMs = Date.now() - started;
      expect(real.body).toEqual({ removed: 100_000 });
      expect(await client.zcard(key('failed'))).toBe(0);

      // The rounds of 500 are asserted in queue-bulk.service.int-spec.ts; how long they hold Redis is reported here, not asserted (timings belong to the bench).
      const slow = (await client.slowlog('GET', 128)) as [number, number, number, string[]][];
      const slowestMs = slow.reduce((max, entry) => Math.max(max, entry[2] / 1000), 0);
      process.stdout.write(`clean of 100,000 failed jobs: ${tookMs} ms in all; slowest Redis command ${slowestMs} ms (${slow.length} over 10 ms)\n`);
    } finally {
      client.disconnect();
    }
  }, 120_000);

  it('opens one failure-rate alert under a burst of failures and resolves it after recovery', async () => {
    const admin = await stack.admin();
    const indexing = new Queue('message-indexing', {
      prefix: queueKeyPrefix(stack.queue.prefix, 'message-indexing'),
      redis: { host: '127.0.0.1', port: redis.port },
    });
    try {
      // A burst of jobs that fail for good at once (their payloads break the contract)…
      await indexing.addBulk(
        Array.from({ length: 30 }, (_, i) => ({ name: 'index-message', data: { messageId: `broken-${i}` }, opts: { jobId: `index:broken-${i}` } })),
      );
      const opened = await eventually(
        async () => (await admin.operator.listAlerts({ state: 'open' })).find((a: Alert) => a.rule === 'failure-rate' && a.queue === 'message-indexing'),
        'the failure-rate alert',
        30_000,
      );
      expect(opened.value).toBeGreaterThan(20);
      // …then recovery: plenty of jobs that succeed bring the rate under the threshold.
      await indexing.addBulk(
        Array.from({ length: 200 }, (_, i) => ({
          name: 'index-message',
          data: { messageIds: [`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`], operation: 'delete', revision: 0 },
          opts: { jobId: `index:ok-${i}` },
        })),
      );
      await eventually(
        async () => ((await admin.operator.listAlerts({ state: 'resolved' })).some((a: Alert) => a.id === opened.id) ? true : undefined),
        'the alert to resolve itself',
        60_000,
      );
      const all = (await admin.operator.listAlerts({})).filter((a: Alert) => a.rule === 'failure-rate' && a.queue === 'message-indexing');
      expect(all).toHaveLength(1);
    } finally {
      await indexing.close();
    }
  }, 120_000);
});
