import { io, Socket } from 'socket.io-client';
import { MessagingClient } from '@mq/messaging-client';
import { sql, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };
interface ErrorBody {
  statusCode: number;
  message: string;
  error: string;
  code: string;
  field?: string;
}

/** Raw HTTP, as a careless or hostile client would send it: the body is sent as given, byte for byte. */
async function call(url: string, token: string, method: string, body?: string | Buffer): Promise<{ status: number; body: ErrorBody }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as ErrorBody };
}

describe('input hygiene at the edge: one check for every REST body, query, path parameter and socket event', () => {
  let stack: TestStack;
  let alice: Member;
  let bob: Member;
  let admin: MessagingClient;
  let base: string;
  let groupId: string;
  let socket: Socket;

  /** What a refused request must not have changed (the outbox is left out: the worker adds follow-ups of earlier sends to it). */
  const counts = async () =>
    (
      await sql<Record<string, number>>(
        stack.database.url,
        `SELECT (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM conversations) AS conversations,
                (SELECT count(*)::int FROM conversation_participants) AS participants, (SELECT count(*)::int FROM users) AS users,
                (SELECT count(*)::int FROM push_subscriptions) AS push, (SELECT count(*)::int FROM notification_preferences) AS preferences,
                (SELECT string_agg(display_name || coalesce(phone, ''), ',' ORDER BY id) FROM users) AS names`,
      )
    )[0];

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1 });
    [alice, bob] = (await stack.users(2)) as [Member, Member];
    admin = await stack.admin();
    base = stack.api().url;
    groupId = (await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'Year 4 trip' })).body.id;
    socket = io(base, { auth: { token: alice.client.token }, transports: ['websocket'] });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
  });

  afterAll(async () => {
    socket?.disconnect();
    await stack?.stop();
  });

  const aliceToken = () => alice.client.token ?? '';
  const adminToken = () => admin.token ?? '';

  it('refuses __proto__, constructor and prototype keys at any depth, on every kind of endpoint', async () => {
    const before = await counts();
    const cases: [string, string, string, string, string][] = [
      // [token, method, path, raw JSON body, field named]
      [aliceToken(), 'POST', '/conversations', `{"type":"group","participantIds":["${bob.id}"],"__proto__":{"isAdmin":true}}`, 'body.__proto__'],
      [aliceToken(), 'POST', '/messages', `{"conversationId":"${groupId}","content":"hi","constructor":{"prototype":{"x":1}}}`, 'body.constructor'],
      [
        aliceToken(),
        'PUT',
        '/me/notification-preferences',
        `{"channels":{"inApp":true,"email":true,"push":true,"sms":false,"__proto__":{"polluted":1}},"quietHours":null}`,
        'body.channels.__proto__',
      ],
      [
        aliceToken(),
        'POST',
        '/me/push-subscriptions',
        `{"endpoint":"https://push.example/x","keys":{"p256dh":"a","auth":"b","prototype":1}}`,
        'body.keys.prototype',
      ],
      [adminToken(), 'PATCH', `/users/${bob.id}`, `{"displayName":"Bob","__proto__":{"role":"admin"}}`, 'body.__proto__'],
      [adminToken(), 'POST', '/messages/broadcast', `{"allUsers":true,"content":"x","deep":[{"a":[{"__proto__":{}}]}]}`, 'body.deep.0.a.0.__proto__'],
      ['', 'POST', '/auth/login', `{"email":"a@b.c","password":"x","__proto__":{"admin":true}}`, 'body.__proto__'],
    ];
    for (const [token, method, path, body, field] of cases) {
      const response = await call(`${base}${path}`, token, method, body);
      expect({ path, status: response.status, code: response.body.code, field: response.body.field }).toEqual({
        path,
        status: 400,
        code: 'forbidden_key',
        field,
      });
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('is not allowed') });
    }
    const query = await call(`${base}/conversations?__proto__[x]=1`, aliceToken(), 'GET');
    expect(query.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('refuses a NUL character in every stored string, naming the field (never a 500 from Postgres)', async () => {
    const before = await counts();
    const nul = '\u0000';
    const cases: [string, string, string, unknown, string][] = [
      [aliceToken(), 'POST', '/conversations', { type: 'group', participantIds: [bob.id], title: `Trip${nul}` }, 'body.title'],
      [aliceToken(), 'POST', '/messages', { conversationId: groupId, content: `a${nul}b` }, 'body.content'],
      [aliceToken(), 'POST', '/me/push-subscriptions', { endpoint: `https://push.example/${nul}`, keys: { p256dh: 'a', auth: 'b' } }, 'body.endpoint'],
      [
        aliceToken(),
        'PUT',
        '/me/notification-preferences',
        { channels: { inApp: true, email: true, push: true, sms: false }, quietHours: { start: '22:00', end: '07:00', timeZone: `Europe/London${nul}` } },
        'body.quietHours.timeZone',
      ],
      [adminToken(), 'POST', '/users', { email: 'nul@school.test', password: 'a-long-password-1', displayName: `Nul${nul}` }, 'body.displayName'],
      [adminToken(), 'PATCH', `/users/${bob.id}`, { displayName: `Bob${nul}` }, 'body.displayName'],
      [adminToken(), 'PATCH', `/users/${bob.id}`, { phone: `+4477${nul}` }, 'body.phone'],
      [adminToken(), 'POST', '/messages/broadcast', { recipientIds: [bob.id], content: `x${nul}` }, 'body.content'],
    ];
    for (const [token, method, path, body, field] of cases) {
      const response = await call(`${base}${path}`, token, method, JSON.stringify(body));
      expect({ path, status: response.status, code: response.body.code, field: response.body.field }).toEqual({
        path,
        status: 400,
        code: 'nul_character',
        field,
      });
    }
    const search = await call(`${base}/messages/search?q=a%00b`, aliceToken(), 'GET');
    expect({ status: search.status, code: search.body.code, field: search.body.field }).toEqual({ status: 400, code: 'nul_character', field: 'query.q' });
    const path = await call(`${base}/messages/a%00b/deliveries`, aliceToken(), 'GET');
    expect({ status: path.status, code: path.body.code }).toEqual({ status: 400, code: 'nul_character' });
    expect(await counts()).toEqual(before);
  });

  it('refuses lone surrogates and bytes that are not UTF-8 instead of storing U+FFFD in their place', async () => {
    const before = await counts();
    // JSON escapes make a lone surrogate a JS string can hold and UTF-8 cannot.
    const lone = await call(`${base}/messages`, aliceToken(), 'POST', `{"conversationId":"${groupId}","content":"caf\\ud800e"}`);
    expect({ status: lone.status, code: lone.body.code, field: lone.body.field }).toEqual({ status: 400, code: 'lone_surrogate', field: 'body.content' });
    const lowAlone = await call(`${base}/conversations`, aliceToken(), 'POST', `{"type":"group","participantIds":["${bob.id}"],"title":"\\udc00 trip"}`);
    expect({ status: lowAlone.status, code: lowAlone.body.code, field: lowAlone.body.field }).toEqual({
      status: 400,
      code: 'lone_surrogate',
      field: 'body.title',
    });
    const bytes = Buffer.concat([Buffer.from(`{"conversationId":"${groupId}","content":"caf`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const invalid = await call(`${base}/messages`, aliceToken(), 'POST', bytes);
    expect({ status: invalid.status, code: invalid.body.code }).toEqual({ status: 400, code: 'invalid_utf8' });
    // A well-formed pair (an emoji) is text like any other.
    const emoji = await alice.client.sendMessage({ conversationId: groupId, content: 'Trip photos \ud83d\udcf8' });
    expect(emoji.body.message.content).toBe('Trip photos \ud83d\udcf8');
    expect((await counts()).messages).toBe(before.messages + 1);
  });

  it('refuses a body sent to a route that takes none, and a query parameter a route does not read', async () => {
    const before = await counts();
    const noBody = await call(`${base}/conversations/${groupId}/participants/${bob.id}`, aliceToken(), 'DELETE', JSON.stringify({ userId: alice.id }));
    expect({ status: noBody.status, code: noBody.body.code, field: noBody.body.field }).toEqual({ status: 400, code: 'unknown_field', field: 'body.userId' });
    const unknownQuery = await call(`${base}/conversations?includeDeleted=true`, aliceToken(), 'GET');
    expect({ status: unknownQuery.status, code: unknownQuery.body.code, field: unknownQuery.body.field }).toEqual({
      status: 400,
      code: 'unknown_field',
      field: 'query.includeDeleted',
    });
    const dtoQuery = await call(`${base}/conversations/${groupId}/messages?afterSeq=0&order=desc`, aliceToken(), 'GET');
    expect({ status: dtoQuery.status, code: dtoQuery.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    const arrayBody = await call(`${base}/messages`, aliceToken(), 'POST', JSON.stringify([{ conversationId: groupId, content: 'x' }]));
    expect({ status: arrayBody.status, code: arrayBody.body.code }).toEqual({ status: 400, code: 'invalid_body' });
    const deep = await call(`${base}/messages`, aliceToken(), 'POST', `{"conversationId":"${groupId}","content":"x","n":${'['.repeat(40)}${']'.repeat(40)}}`);
    expect({ status: deep.status, code: deep.body.code }).toEqual({ status: 400, code: 'too_deep' });
    expect(await counts()).toEqual(before);
  });

  it('answers 409 when what is added is already there: a participant, a user, a push subscription', async () => {
    const before = { ...(await counts()), push: (await counts()).push + 1 };
    const again = await call(`${base}/conversations/${groupId}/participants`, aliceToken(), 'POST', JSON.stringify({ userId: bob.id }));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'conflict' });
    expect(again.body.message).toMatch(/already in the conversation/);
    const existing = await call(
      `${base}/users`,
      adminToken(),
      'POST',
      JSON.stringify({ email: (await bob.client.me()).email, password: 'a-long-password-1', displayName: 'Bob again' }),
    );
    expect({ status: existing.status, code: existing.body.code }).toEqual({ status: 409, code: 'conflict' });
    const subscription = JSON.stringify({ endpoint: 'https://push.example/device-1', keys: { p256dh: 'key-1', auth: 'auth-1' } });
    expect((await call(`${base}/me/push-subscriptions`, aliceToken(), 'POST', subscription)).status).toBe(201);
    const twice = await call(`${base}/me/push-subscriptions`, aliceToken(), 'POST', subscription);
    expect({ status: twice.status, code: twice.body.code }).toEqual({ status: 409, code: 'conflict' });
    // New keys for the same endpoint (the browser re-subscribed) replace the old ones.
    const rekeyed = JSON.stringify({ endpoint: 'https://push.example/device-1', keys: { p256dh: 'key-2', auth: 'auth-2' } });
    expect((await call(`${base}/me/push-subscriptions`, aliceToken(), 'POST', rekeyed)).status).toBe(201);
    expect(await counts()).toEqual(before);
  });

  it('answers a socket event with the error REST gives: status, code, field and message in the ack', async () => {
    const before = await counts();
    const send = (payload: unknown) => socket.timeout(10_000).emitWithAck('message:send', payload) as Promise<Record<string, unknown>>;
    const cases: [unknown, Record<string, unknown>][] = [
      [
        { conversationId: groupId, content: 'a\u0000b' },
        { status: 400, code: 'nul_character', field: 'body.content' },
      ],
      [
        { conversationId: groupId, content: 'caf\ud800e' },
        { status: 400, code: 'lone_surrogate', field: 'body.content' },
      ],
      [
        JSON.parse(`{"conversationId":"${groupId}","content":"x","__proto__":{"senderId":"${bob.id}"}}`),
        { status: 400, code: 'forbidden_key', field: 'body.__proto__' },
      ],
      [
        { conversationId: groupId, content: 'x', senderId: bob.id },
        { status: 400, code: 'validation_failed', field: 'body.senderId' },
      ],
      ['just a string', { status: 400, code: 'invalid_body' }],
      [
        { conversationId: '00000000-0000-4000-8000-000000000000', content: 'x' },
        { status: 404, code: 'not_found' },
      ],
    ];
    for (const [payload, expected] of cases) {
      const ack = await send(payload);
      expect(ack).toMatchObject({ ok: false, error: expect.any(String), ...expected });
    }
    const receipt = (await socket.timeout(10_000).emitWithAck('message:read', { messageId: 'x\u0000' })) as Record<string, unknown>;
    expect(receipt).toMatchObject({ ok: false, status: 400, code: 'nul_character', field: 'body.messageId' });
    expect(await counts()).toEqual(before);
  });
});
