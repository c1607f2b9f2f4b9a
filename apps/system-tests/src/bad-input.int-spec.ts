import { MessagingClient } from '@mq/messaging-client';
import { sql, TestStack } from '@mq/system-testing';
import { eventually } from '@mq/queue/testing';

/** Raw HTTP, as a careless or hostile client would send it. */
async function post(url: string, token: string, body: string, contentType = 'application/json') {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { statusCode: number; message: string; error: string } };
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  let stack: TestStack;
  let alice: { id: string; client: MessagingClient };
  let conversationId: string;
  let messagesUrl: string;
  let token: string;
  const counts = async () =>
    (
      await sql<{ messages: number; deliveries: number; outbox: number }>(
        stack.database.url,
        `SELECT (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM message_deliveries) AS deliveries,
                (SELECT count(*)::int FROM outbox) AS outbox`,
      )
    )[0];

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, env: { SEND_RATE_LIMIT_PER_MINUTE: '5' } });
    const [a, b] = await stack.users(2);
    alice = a as typeof alice;
    conversationId = (await alice.client.createConversation({ type: 'direct', participantIds: [(b as typeof alice).id] })).body.id;
    messagesUrl = `${stack.api().url}/messages`;
    token = alice.client.token ?? '';
  });

  afterAll(() => stack?.stop());

  it('rejects server-owned fields, bad content, malformed and oversized bodies, unknown ids', async () => {
    const before = await counts();
    const cases: [string, string, number, RegExp][] = [
      ['senderId', JSON.stringify({ conversationId, content: 'x', senderId: alice.id }), 400, /property senderId should not exist/],
      ['seq', JSON.stringify({ conversationId, content: 'x', seq: 7 }), 400, /property seq should not exist/],
      ['status', JSON.stringify({ conversationId, content: 'x', status: 'sent' }), 400, /property status should not exist/],
      ['empty content', JSON.stringify({ conversationId, content: '' }), 400, /content must be longer than or equal to 1/],
      ['10,001 characters', JSON.stringify({ conversationId, content: 'a'.repeat(10_001) }), 400, /content must be shorter than or equal to 10000/],
      ['malformed JSON', '{"conversationId": ', 400, /JSON/],
      ['not a uuid', JSON.stringify({ conversationId: 'nope', content: 'x' }), 400, /conversationId must be a UUID/],
      ['unknown conversation', JSON.stringify({ conversationId: '00000000-0000-4000-8000-000000000000', content: 'x' }), 404, /not found/],
      ['bad priority', JSON.stringify({ conversationId, content: 'x', priority: 'urgent' }), 400, /priority must be one of/],
      ['too large', JSON.stringify({ conversationId, content: 'a'.repeat(100_000) }), 413, /too large/],
    ];
    for (const [label, body, status, message] of cases) {
      const response = await post(messagesUrl, token, body);
      expect({ label, status: response.status }).toEqual({ label, status });
      expect(response.body).toMatchObject({ statusCode: status, error: expect.any(String) });
      expect(response.body.message).toMatch(message);
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.js:\d+/); // never a stack trace
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses the same bad fields over the socket, content smuggled through __proto__ included, and stores nothing', async () => {
    const before = await counts();
    const socket = alice.client.connect();
    try {
      await socket.ready();
      const bodies: [unknown, RegExp][] = [
        [{ conversationId, content: 'x', senderId: alice.id }, /property senderId should not exist/],
        [{ conversationId, content: '' }, /content must be longer than or equal to 1 characters/],
        // A JSON body's own `__proto__` key never becomes the DTO's prototype: content smuggled in it is no content.
        [JSON.parse(`{"__proto__": {"content": "smuggled"}, "conversationId": "${conversationId}"}`), /__proto__.*not allowed/],
        ['just a string', /must be an object/],
      ];
      for (const [body, message] of bodies) {
        await expect(socket.sendViaSocket(body as never)).rejects.toThrow(message);
      }
    } finally {
      socket.disconnect();
    }
    expect(await counts()).toEqual(before);
  });

  it('answers 401 without a session and 404 for unknown ids elsewhere', async () => {
    expect((await fetch(messagesUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const unknown = '00000000-0000-4000-8000-000000000001';
    for (const path of [`/messages/${unknown}/deliveries`, `/conversations/${unknown}/messages`]) {
      const response = await fetch(`${stack.api().url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(404);
    }
  });

  it('limits sends per user across instances with 429 and Retry-After, leaving nothing behind', async () => {
    // The limit counts per clock minute: start within a minute's first 50 s, so the burst cannot straddle two.
    await eventually(() => (Date.now() % 60_000 < 50_000 ? true : undefined), 'a clock minute with 10 s left', 12_000);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const response = await post(messagesUrl, token, JSON.stringify({ conversationId, content: `burst ${i}` }));
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const [{ n }] = await sql<{ n: number }>(stack.database.url, `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [conversationId]);
    expect(n).toBe(5);
  });
});
