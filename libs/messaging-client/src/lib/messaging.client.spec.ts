import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Message } from '@mq/messaging-contracts';
import { startJsonTestServer, type JsonTestServer } from '../testing/json-test-server';
import { ApiError, NetworkError, RequestTimeoutError, parseRetryAfter } from './api-error';
import { MessagingClient } from './messaging.client';

const message: Message = {
  id: 'm-1',
  conversationId: 'c-1',
  seq: 1,
  senderId: 'u-1',
  content: 'hello',
  clientMessageId: 'client-1',
  priority: 'normal',
  status: 'queued',
  sendAt: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  editedAt: null,
};

describe('MessagingClient (REST)', () => {
  let server: JsonTestServer;

  beforeEach(async () => {
    server = await startJsonTestServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it('logs in, keeps the token, and sends it as a bearer token afterwards', async () => {
    server.respondWith((req) =>
      req.url === '/auth/login'
        ? { body: { accessToken: 'tok-1', user: { id: 'u-1', email: 'a@b.c', displayName: 'A', role: 'user' } } }
        : { body: { id: 'u-1' } },
    );
    const client = new MessagingClient({ baseUrl: `${server.baseUrl}/` });

    const answer = await client.login({ email: 'a@b.c', password: 'secret-password' });
    await client.me();

    expect(answer.accessToken).toBe('tok-1');
    expect(client.token).toBe('tok-1');
    expect(client.user?.id).toBe('u-1');
    const [login, me] = server.requests;
    expect(login.headers['authorization']).toBeUndefined();
    expect(login.headers['content-type']).toBe('application/json');
    expect(login.body).toEqual({ email: 'a@b.c', password: 'secret-password' });
    expect(me.headers['authorization']).toBe('Bearer tok-1');
    expect(me.headers['accept']).toBe('application/json');
    expect(me.headers['content-type']).toBeUndefined();
  });

  it('forgets the token on logout even when the call fails', async () => {
    server.respondWith(() => ({ status: 500, body: { statusCode: 500, message: 'boom', error: 'Internal Server Error' } }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 'tok-1' });

    await expect(client.logout()).rejects.toBeInstanceOf(ApiError);

    expect(client.token).toBeNull();
    expect(server.requests[0].headers['authorization']).toBe('Bearer tok-1');
  });

  it('returns the status where it matters: 202 for a new message, 200 for a repeated clientMessageId', async () => {
    let calls = 0;
    server.respondWith(() => ({ status: calls++ === 0 ? 202 : 200, body: { message, jobId: 'deliver:m-1' } }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 't' });
    const request = { conversationId: 'c-1', content: 'hello', clientMessageId: 'client-1' };

    const first = await client.sendMessage(request);
    const again = await client.sendMessage(request);

    expect(first).toEqual({ status: 202, body: { message, jobId: 'deliver:m-1' } });
    expect(again.status).toBe(200);
    expect(again.body.message.id).toBe(first.body.message.id);
    expect(server.requests[0].body).toEqual(request);
  });

  it('resolves 204 answers to undefined and sends no body for body-less calls', async () => {
    server.respondWith(() => ({ status: 204 }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 't' });

    await expect(client.deleteMessage('m-1')).resolves.toBeUndefined();

    expect(server.requests[0]).toMatchObject({ method: 'DELETE', url: '/messages/m-1', body: '' });
  });

  it('throws ApiError with the status, the body, its code and field and the validation message', async () => {
    const body = {
      statusCode: 400,
      message: 'content must be shorter; property foo should not exist',
      error: 'Bad Request',
      code: 'validation_failed',
      field: 'body.content',
    };
    server.respondWith(() => ({ status: 400, body }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 't' });

    const error = await client.sendMessage({ conversationId: 'c-1', content: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.body).toEqual(body);
    expect(apiError.error).toBe('Bad Request');
    expect(apiError.messages).toEqual([body.message]);
    expect(apiError).toMatchObject({ code: 'validation_failed', field: 'body.content' });
    expect(apiError.message).toBe('POST /messages -> 400: content must be shorter; property foo should not exist');
    expect(apiError.retryAfterSeconds).toBeNull();
  });

  it('keeps a non-JSON error body as text', async () => {
    server.respondWith(() => ({ status: 502, raw: 'upstream down', headers: { 'content-type': 'text/plain' } }));
    const client = new MessagingClient({ baseUrl: server.baseUrl });

    const error = (await client.health().catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(502);
    expect(error.body).toBe('upstream down');
    expect(error.message).toBe('GET /health -> 502: upstream down');
  });

  it('reads Retry-After from a 429, in seconds or as an HTTP date', async () => {
    const rateLimited = { statusCode: 429, message: 'Too Many Requests', error: 'Too Many Requests' };
    server.respondWith(() => ({ status: 429, body: rateLimited, headers: { 'retry-after': '7' } }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 't' });

    const error = (await client.listConversations().catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(7);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });

  it('times out a request that gets no answer', async () => {
    server.respondWith(() => ({ hang: true }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, timeoutMs: 150 });
    const started = Date.now();

    const error = await client.me().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).message).toBe('GET /me timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a request whose body stalls after the headers', async () => {
    server.respondWith(() => ({ body: { id: 'u-1' }, stallBody: true }));
    const client = new MessagingClient({ baseUrl: server.baseUrl, timeoutMs: 150 });

    await expect(client.me()).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it('reports an unreachable api as a NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new MessagingClient({ baseUrl: `http://127.0.0.1:${port}` });

    const error = await client.me().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toMatch(/^GET \/me failed: /);
  });

  it('refuses a success that is not valid JSON', async () => {
    server.respondWith(() => ({ raw: '{"broken', headers: { 'content-type': 'application/json' } }));
    const client = new MessagingClient({ baseUrl: server.baseUrl });

    await expect(client.me()).rejects.toThrow('GET /me: the answer is not valid JSON');
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const client = new MessagingClient({
      baseUrl: server.baseUrl,
      fetch: (input, init) => {
        seen.push(`${init.method} ${input}`);
        return fetch(input, init);
      },
    });

    await client.listConversations();

    expect(seen).toEqual([`GET ${server.baseUrl}/conversations`]);
  });

  it('sends dry runs only when asked, and types their answer', async () => {
    server.respondWith((req) =>
      typeof req.body === 'object' && req.body !== null && 'dryRun' in req.body
        ? { status: 200, body: { dryRun: true, matched: 4 } }
        : { status: 202, body: { retried: 4 } },
    );
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 't' });

    const dry = await client.operator.retryFailedJobs('message-delivery', { dryRun: true });
    const real = await client.operator.retryFailedJobs('message-delivery');

    expect(dry).toEqual({ status: 200, body: { dryRun: true, matched: 4 } });
    expect(dry.body.matched).toBe(4);
    expect(real).toEqual({ status: 202, body: { retried: 4 } });
    expect(real.body.retried).toBe(4);
    expect(server.requests.map((r) => r.body)).toEqual([{ dryRun: true }, '']);
  });

  describe('calls every endpoint of the contract with its method, path, query and body', () => {
    const prefs = {
      channels: { inApp: true, email: false, push: true, sms: false },
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/London' },
    };
    const cases: Array<[string, (client: MessagingClient) => Promise<unknown>, string, string, unknown]> = [
      ['login', (c) => c.login({ email: 'a@b.c', password: 'p' }), 'POST', '/auth/login', { email: 'a@b.c', password: 'p' }],
      ['logout', (c) => c.logout(), 'POST', '/auth/logout', ''],
      ['me', (c) => c.me(), 'GET', '/me', ''],
      [
        'createUser',
        (c) => c.operator.createUser({ email: 'n@b.c', password: 'p', displayName: 'N', role: 'operator' }),
        'POST',
        '/users',
        { email: 'n@b.c', password: 'p', displayName: 'N', role: 'operator' },
      ],
      ['updateUser', (c) => c.operator.updateUser('u-2', { active: false }), 'PATCH', '/users/u-2', { active: false }],
      [
        'createConversation',
        (c) => c.createConversation({ type: 'direct', participantIds: ['u-2'] }),
        'POST',
        '/conversations',
        { type: 'direct', participantIds: ['u-2'] },
      ],
      ['listConversations', (c) => c.listConversations(), 'GET', '/conversations', ''],
      ['listMessages', (c) => c.listMessages('c-1', { afterSeq: 5, limit: 50 }), 'GET', '/conversations/c-1/messages?afterSeq=5&limit=50', ''],
      ['listMessages (no query)', (c) => c.listMessages('c-1'), 'GET', '/conversations/c-1/messages', ''],
      [
        'sendMessage',
        (c) => c.sendMessage({ conversationId: 'c-1', content: 'hi', priority: 'high', sendAt: '2030-01-01T00:00:00Z' }),
        'POST',
        '/messages',
        { conversationId: 'c-1', content: 'hi', priority: 'high', sendAt: '2030-01-01T00:00:00Z' },
      ],
      ['editMessage', (c) => c.editMessage('m-1', { content: 'edited' }), 'PATCH', '/messages/m-1', { content: 'edited' }],
      ['deleteMessage', (c) => c.deleteMessage('m-1'), 'DELETE', '/messages/m-1', ''],
      ['markDelivered', (c) => c.markDelivered('m-1'), 'POST', '/messages/m-1/delivered', ''],
      ['markRead', (c) => c.markRead('m-1'), 'POST', '/messages/m-1/read', ''],
      ['listDeliveries', (c) => c.listDeliveries('m-1'), 'GET', '/messages/m-1/deliveries', ''],
      ['searchMessages', (c) => c.searchMessages({ q: 'fever today', conversationId: 'c-1' }), 'GET', '/messages/search?q=fever+today&conversationId=c-1', ''],
      ['addParticipant', (c) => c.addParticipant('c-1', { userId: 'u-3' }), 'POST', '/conversations/c-1/participants', { userId: 'u-3' }],
      ['removeParticipant', (c) => c.removeParticipant('c-1', 'u-3'), 'DELETE', '/conversations/c-1/participants/u-3', ''],
      ['getNotificationPreferences', (c) => c.getNotificationPreferences(), 'GET', '/me/notification-preferences', ''],
      ['updateNotificationPreferences', (c) => c.updateNotificationPreferences(prefs), 'PUT', '/me/notification-preferences', prefs],
      ['listNotifications', (c) => c.listNotifications({ unread: true, limit: 10 }), 'GET', '/me/notifications?unread=true&limit=10', ''],
      ['markNotificationRead', (c) => c.markNotificationRead('n-1'), 'POST', '/me/notifications/n-1/read', ''],
      [
        'addPushSubscription',
        (c) => c.addPushSubscription({ endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' } }),
        'POST',
        '/me/push-subscriptions',
        { endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' } },
      ],
      ['getJob', (c) => c.operator.getJob('deliver:m-1'), 'GET', '/messages/jobs/deliver%3Am-1', ''],
      ['getJobHistory', (c) => c.operator.getJobHistory('deliver:m-1'), 'GET', '/jobs/deliver%3Am-1/history', ''],
      ['retryJob', (c) => c.operator.retryJob('deliver:m-1'), 'POST', '/messages/jobs/deliver%3Am-1/retry', ''],
      ['getMessagesQueueMetrics', (c) => c.operator.getMessagesQueueMetrics(), 'GET', '/messages/queue/metrics', ''],
      ['getQueueMetrics', (c) => c.operator.getQueueMetrics(), 'GET', '/queue/metrics', ''],
      ['getQueueHealth', (c) => c.operator.getQueueHealth(), 'GET', '/queue/health', ''],
      ['pauseQueue', (c) => c.operator.pauseQueue('message-delivery'), 'POST', '/queue/message-delivery/pause', ''],
      ['resumeQueue', (c) => c.operator.resumeQueue('message-delivery'), 'POST', '/queue/message-delivery/resume', ''],
      ['retryFailedJobs', (c) => c.operator.retryFailedJobs('message-delivery'), 'POST', '/queue/message-delivery/retry-failed', ''],
      [
        'cleanQueue',
        (c) => c.operator.cleanQueue('message-delivery', { state: 'completed', olderThanMs: 60_000, dryRun: true }),
        'POST',
        '/queue/message-delivery/clean',
        { state: 'completed', olderThanMs: 60_000, dryRun: true },
      ],
      ['promoteDelayedJobs', (c) => c.operator.promoteDelayedJobs('message-delivery'), 'POST', '/queue/message-delivery/promote', ''],
      [
        'listQueueJobs',
        (c) => c.operator.listQueueJobs('message-delivery', { state: 'failed', start: 0, end: 49 }),
        'GET',
        '/queue/message-delivery/jobs?state=failed&start=0&end=49',
        '',
      ],
      ['getMetricsHistory', (c) => c.operator.getMetricsHistory({ minutes: 60 }), 'GET', '/queue/metrics/history?minutes=60', ''],
      ['listFailedDeliveries', (c) => c.operator.listFailedDeliveries({ limit: 20, cursor: 'abc' }), 'GET', '/deliveries/failed?limit=20&cursor=abc', ''],
      [
        'listFailedDeliveries of a broadcast',
        (c) => c.operator.listFailedDeliveries({ limit: 20, batchId: 'b-1', reason: 'inactive' }),
        'GET',
        '/deliveries/failed?limit=20&batchId=b-1&reason=inactive',
        '',
      ],
      ['listDeadLetters', (c) => c.operator.listDeadLetters(), 'GET', '/dead-letters', ''],
      ['replayDeadLetter', (c) => c.operator.replayDeadLetter('d-1'), 'POST', '/dead-letters/d-1/replay', ''],
      ['discardDeadLetter', (c) => c.operator.discardDeadLetter('d-1'), 'DELETE', '/dead-letters/d-1', ''],
      ['listDeadLetters by cause', (c) => c.operator.listDeadLetters({ fingerprint: 'f0' }), 'GET', '/dead-letters?fingerprint=f0', ''],
      ['listDeadLetterGroups', (c) => c.operator.listDeadLetterGroups(), 'GET', '/dead-letters/groups', ''],
      ['replayDeadLetterGroup', (c) => c.operator.replayDeadLetterGroup('f0', { dryRun: true }), 'POST', '/dead-letters/groups/f0/replay', { dryRun: true }],
      ['discardDeadLetterGroup', (c) => c.operator.discardDeadLetterGroup('f0'), 'POST', '/dead-letters/groups/f0/discard', ''],
      ['restoreDeadLetters', (c) => c.operator.restoreDeadLetters('x-1'), 'POST', '/dead-letters/discards/x-1/restore', ''],
      [
        'broadcast',
        (c) => c.operator.broadcast({ allUsers: true, content: 'school closed', chunkSize: 100, chunkDelay: 50 }),
        'POST',
        '/messages/broadcast',
        { allUsers: true, content: 'school closed', chunkSize: 100, chunkDelay: 50 },
      ],
      ['getBatch', (c) => c.operator.getBatch('b-1'), 'GET', '/messages/batches/b-1', ''],
      ['getBatchDetail', (c) => c.operator.getBatchDetail('b-1'), 'GET', '/messages/batches/b-1/detail', ''],
      ['pauseBatch', (c) => c.operator.pauseBatch('b-1'), 'POST', '/messages/batches/b-1/pause', ''],
      ['resumeBatch', (c) => c.operator.resumeBatch('b-1'), 'POST', '/messages/batches/b-1/resume', ''],
      ['cancelBatch', (c) => c.operator.cancelBatch('b-1'), 'POST', '/messages/batches/b-1/cancel', ''],
      ['listAlerts', (c) => c.operator.listAlerts({ state: 'open' }), 'GET', '/alerts?state=open', ''],
      ['rotateEncryptionKeys', (c) => c.operator.rotateEncryptionKeys(), 'POST', '/admin/encryption/rotate', ''],
      ['listAuditEntries', (c) => c.operator.listAuditEntries({ limit: 5 }), 'GET', '/audit?limit=5', ''],
      ['getMessageTimeline', (c) => c.operator.getMessageTimeline('m-1'), 'GET', '/messages/m-1/timeline', ''],
      ['searchJobs', (c) => c.operator.searchJobs('deliver'), 'GET', '/jobs/search?q=deliver', ''],
      ['health', (c) => c.health(), 'GET', '/health', ''],
    ];

    it.each(cases)('%s', async (_name, call, method, url, body) => {
      server.respondWith(() => ({ status: 200, body: { accessToken: 'tok-2', user: { id: 'u-1' } } }));
      const client = new MessagingClient({ baseUrl: server.baseUrl, token: 'tok-1' });

      await call(client);

      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]).toMatchObject({ method, url, body });
    });
  });
});
