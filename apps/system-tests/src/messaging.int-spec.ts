import type { Message, MessageStatusEvent } from '@mq/messaging-contracts';
import { ApiError, ConversationInbox, MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

/** Collects what a socket receives, for assertions. */
function record<T>(connection: RealtimeConnection, event: 'message:new' | 'message:status'): T[] {
  const seen: T[] = [];
  connection.on(event, ((payload: T) => seen.push(payload)) as never);
  return seen;
}

describe('messaging core: two api instances and a worker, as real processes', () => {
  let stack: TestStack;
  let alice: { id: string; client: MessagingClient };
  let bob: { id: string; client: MessagingClient };
  let mallory: { id: string; client: MessagingClient };
  const sockets: RealtimeConnection[] = [];
  const open = async (client: MessagingClient, options = {}) => {
    const connection = client.connect(options);
    sockets.push(connection);
    await connection.ready();
    return connection;
  };

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 2 });
    [alice, bob, mallory] = (await stack.users(3, 0)) as [typeof alice, typeof bob, typeof mallory];
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
  });

  it('exchanges messages over REST and sockets; the sender sees delivered, then read', async () => {
    const { body: conversation, status } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    expect(status).toBe(201);
    const again = await bob.client.createConversation({ type: 'direct', participantIds: [alice.id] });
    expect(again).toMatchObject({ status: 200, body: { id: conversation.id } });

    const aliceSocket = await open(alice.client);
    const bobSocket = await open(bob.client);
    const statuses = record<MessageStatusEvent>(aliceSocket, 'message:status');
    const bobGot = record<Message>(bobSocket, 'message:new');
    const aliceGot = record<Message>(aliceSocket, 'message:new');

    const sent = await alice.client.sendMessage({ conversationId: conversation.id, content: 'Hello Bob', clientMessageId: 'a-1' });
    expect(sent.status).toBe(202);
    expect(sent.body.message).toMatchObject({ conversationId: conversation.id, senderId: alice.id, content: 'Hello Bob', seq: 1 });
    expect(sent.body.jobId).toBe(`deliver:${sent.body.message.id}`);

    const received = await eventually(() => bobGot.find((m) => m.id === sent.body.message.id), 'bob to receive it');
    expect(received.content).toBe('Hello Bob');

    await bobSocket.ackDelivered(received.id);
    await eventually(() => statuses.find((s) => s.status === 'delivered'), 'alice to see delivered');
    await bob.client.markRead(received.id);
    await eventually(() => statuses.find((s) => s.status === 'read'), 'alice to see read');
    expect(statuses.map((s) => s.status)).toEqual(['delivered', 'read']);
    expect(statuses[0]).toMatchObject({ messageId: received.id, recipientId: bob.id });

    // And back, over the socket.
    const reply = await bobSocket.sendViaSocket({ conversationId: conversation.id, content: 'Hi Alice', clientMessageId: 'b-1' });
    expect(reply.seq).toBe(2);
    await eventually(() => aliceGot.find((m) => m.id === reply.id), 'alice to receive the reply');

    const deliveries = await alice.client.listDeliveries(sent.body.message.id);
    expect(deliveries).toEqual([expect.objectContaining({ recipientId: bob.id, status: 'read', deliveredAt: expect.any(String), readAt: expect.any(String) })]);
    // Alice has not read Bob's reply; Bob has read everything Alice sent.
    expect(await alice.client.listConversations()).toEqual([
      expect.objectContaining({ id: conversation.id, unreadCount: 1, lastMessage: expect.objectContaining({ content: 'Hi Alice' }) }),
    ]);
    expect(await bob.client.listConversations()).toEqual([expect.objectContaining({ id: conversation.id, unreadCount: 0 })]);
  });

  it('reaches a recipient connected to the other api instance', async () => {
    const aliceOnA = alice.client;
    const bobOnB = new MessagingClient({ baseUrl: stack.api(1).url });
    bobOnB.setToken(bob.client.token);
    const bobSocket = await open(bobOnB);
    const got = record<Message>(bobSocket, 'message:new');
    const { body: conversation } = await aliceOnA.createConversation({ type: 'direct', participantIds: [bob.id] });
    const sent = await aliceOnA.sendMessage({ conversationId: conversation.id, content: 'across instances' });
    const received = await eventually(() => got.find((m) => m.id === sent.body.message.id), 'bob on instance B to receive');
    expect(received.content).toBe('across instances');
  });

  it('makes one message of the same clientMessageId sent 5 times at once through both instances', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'idempotency' });
    const viaB = new MessagingClient({ baseUrl: stack.api(1).url });
    viaB.setToken(alice.client.token);
    const clients = [alice.client, viaB, alice.client, viaB, alice.client];
    const results = await Promise.all(
      clients.map((client) => client.sendMessage({ conversationId: conversation.id, content: 'only once', clientMessageId: 'same-key' })),
    );
    expect(new Set(results.map((r) => r.body.message.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.message.seq)).size).toBe(1);
    for (const r of results) expect([200, 202]).toContain(r.status);
    const page = await bob.client.listMessages(conversation.id, { afterSeq: 0 });
    expect(page.messages.filter((m) => m.content === 'only once')).toHaveLength(1);
  });

  it('group-commits concurrent sends through both instances: each conversation numbered 1..n with no gap, each message once, batches in shared jobs', async () => {
    const { body: direct } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    const { body: group } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id, mallory.id], title: 'commit' });
    const viaB = new MessagingClient({ baseUrl: stack.api(1).url });
    viaB.setToken(alice.client.token);
    // The direct conversation is alice and bob's one, with the earlier tests' messages in it.
    const before = (await bob.client.listMessages(direct.id, { afterSeq: 0 })).messages.length;
    const senders = [await open(alice.client), await open(viaB)];
    const bobInbox = new ConversationInbox(direct.id);
    const bobSocket = await open(bob.client);
    bobInbox.attach(bobSocket);
    // 200 sends at once over REST and both instances' sockets, into two conversations; in the direct
    // one, one send in five repeats the clientMessageId of an earlier send.
    const sends = Array.from({ length: 200 }, (_, i) => {
      const request = { conversationId: i % 2 === 0 ? direct.id : group.id, content: `burst ${i}`, clientMessageId: `burst-${i % 10 === 2 ? i - 2 : i}` };
      if (i % 3 === 0) return (senders[i % 2] as RealtimeConnection).sendViaSocket(request);
      return (i % 3 === 1 ? alice.client : viaB).sendMessage(request).then((r) => r.body.message);
    });
    const stored = await Promise.all(sends);
    // A repeated clientMessageId answers the first message (same id, same seq); the rest are distinct.
    expect(new Set(stored.map((m) => m.id)).size).toBe(180);
    stored.forEach((message, i) => {
      if (i % 10 === 2) expect(message).toMatchObject({ id: stored[i - 2]?.id, seq: stored[i - 2]?.seq });
    });
    for (const [conversationId, count] of [
      [direct.id, before + 80],
      [group.id, 100],
    ] as const) {
      const rows = await sql<{ seq: string }>(stack.database.url, `SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq`, [conversationId]);
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    }
    const jobs = await sql<{ job_id: string }>(stack.database.url, `SELECT DISTINCT job_id FROM message_deliveries WHERE message_id = ANY($1::uuid[])`, [
      stored.map((m) => m.id),
    ]);
    expect(jobs.length).toBeLessThan(180);
    const batchJobs = jobs.map((j) => j.job_id).filter((id) => /\+\d+\./.test(id));
    expect(batchJobs.length).toBeGreaterThan(0);
    // An operator finds a batch job by its id like any other (its id has '+' and '.' in it), with ids only in its data.
    // A batch's id names every send it was planned for; its data lists those stored (a repeated clientMessageId is not).
    const admin = await stack.admin();
    const batches = await Promise.all(
      batchJobs.map((id) =>
        eventually(async () => {
          const found = await admin.operator.getJob(id);
          return found.state === 'completed' ? found : undefined;
        }, `batch job ${id} to complete`),
      ),
    );
    for (const job of batches) {
      expect(job).toMatchObject({ queue: 'message-delivery', name: 'send-message' });
      expect(stored.map((m) => m.id)).toEqual(expect.arrayContaining((job.data as { messageIds: string[] }).messageIds));
      expect(JSON.stringify(job.data)).not.toContain('burst');
    }
    expect(Math.max(...batches.map((job) => (job.data as { messageIds: string[] }).messageIds.length))).toBeGreaterThan(1);
    // Bob receives each of the burst's 80 direct messages once, in order, without a gap.
    await eventually(() => (bobInbox.size === 80 ? true : undefined), `bob's 80 messages (has ${bobInbox.size})`);
    expect(bobInbox.messages.map((m) => m.seq)).toEqual(Array.from({ length: 80 }, (_, i) => before + i + 1));
    expect(bobInbox.duplicates).toBe(0);
  });

  it('keeps a third user out of a conversation, over REST and the socket', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'private' });
    const sent = await alice.client.sendMessage({ conversationId: conversation.id, content: 'private' });
    const expectStatus = async (call: Promise<unknown>, statuses: number[]) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect(statuses).toContain((error as ApiError).status);
    };
    await expectStatus(mallory.client.listMessages(conversation.id), [403, 404]);
    await expectStatus(mallory.client.sendMessage({ conversationId: conversation.id, content: 'let me in' }), [403, 404]);
    await expectStatus(mallory.client.listDeliveries(sent.body.message.id), [403, 404]);
    await expectStatus(mallory.client.markRead(sent.body.message.id), [403, 404]);
    await expectStatus(mallory.client.removeParticipant(conversation.id, bob.id), [403, 404]);

    const socket = await open(mallory.client);
    const got = record<Message>(socket, 'message:new');
    await expect(socket.sync(conversation.id, 0)).rejects.toThrow(/not found/i);
    await expect(socket.sendViaSocket({ conversationId: conversation.id, content: 'sneaky', clientMessageId: 'm-1' })).rejects.toThrow(/not found/i);
    await alice.client.sendMessage({ conversationId: conversation.id, content: 'still private' });
    const page = await bob.client.listMessages(conversation.id);
    expect(page.messages.map((m) => m.content)).toEqual(['private', 'still private']);
    expect(got).toEqual([]);
  });

  it('lets a disconnected recipient catch up on 50 missed messages, in order', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'catch-up' });
    const bobSocket = await open(bob.client);
    const inbox = new ConversationInbox(conversation.id);
    inbox.attach(bobSocket);
    await alice.client.sendMessage({ conversationId: conversation.id, content: 'before' });
    await eventually(() => (inbox.size === 1 ? true : undefined), 'the first message');

    bobSocket.disconnect();
    for (let i = 0; i < 50; i++) await alice.client.sendMessage({ conversationId: conversation.id, content: `missed ${i}` });

    const again = await open(bob.client);
    inbox.addAll(await again.sync(conversation.id, inbox.missingAfter()));
    expect(inbox.size).toBe(51);
    expect(inbox.hasGap()).toBe(false);
    expect(inbox.messages.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(inbox.messages.slice(1).map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `missed ${i}`));
  });

  it('sends a scheduled message at its time with the next seq, and never sends one deleted before', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'scheduled' });
    const bobSocket = await open(bob.client);
    const inbox = new ConversationInbox(conversation.id);
    inbox.attach(bobSocket);
    const sendAt = (ms: number) => new Date(Date.now() + ms).toISOString();
    const later = await alice.client.sendMessage({ conversationId: conversation.id, content: 'see you at 3', sendAt: sendAt(2_000) });
    expect(later.status).toBe(202);
    expect(later.body.message).toMatchObject({ status: 'scheduled', seq: null });
    const cancelled = await alice.client.sendMessage({ conversationId: conversation.id, content: 'never mind', sendAt: sendAt(2_500) });
    await alice.client.deleteMessage(cancelled.body.message.id);
    const now = await alice.client.sendMessage({ conversationId: conversation.id, content: 'right now' });
    expect(now.body.message.seq).toBe(1);

    const arrived = await eventually(() => inbox.get(later.body.message.id), 'the scheduled message', 15_000);
    expect(arrived.seq).toBe(2);
    // The deleted message's job still runs at its time: once it has finished, having sent nothing, nothing more can come.
    const admin = await stack.admin();
    const skipped = await eventually(async () => {
      const job = await admin.operator.getJob(cancelled.body.jobId);
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 'the deleted message’s job to run');
    expect(skipped).toMatchObject({ state: 'completed', returnvalue: expect.objectContaining({ skipped: 1, delivered: 0 }) });
    expect(inbox.has(cancelled.body.message.id)).toBe(false);
    const page = await bob.client.listMessages(conversation.id);
    expect(page.messages.map((m) => [m.seq, m.content])).toEqual([
      [1, 'right now'],
      [2, 'see you at 3'],
    ]);
  });

  it('finds whole words in the caller’s conversations only, following edits and deletes', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id], title: 'search' });
    const sent = await alice.client.sendMessage({ conversationId: conversation.id, content: 'The fieldtrip to the Aquarium is on Thursday' });
    const hits = await eventually(async () => {
      const { results } = await bob.client.searchMessages({ q: 'aquarium THURSDAY' });
      return results.length > 0 ? results : undefined;
    }, 'the message to be indexed');
    expect(hits).toEqual([expect.objectContaining({ messageId: sent.body.message.id, conversationId: conversation.id, seq: 1 })]);
    expect((await bob.client.searchMessages({ q: 'aquar' })).results).toEqual([]); // whole words only
    expect((await mallory.client.searchMessages({ q: 'aquarium' })).results).toEqual([]);

    const bobSocket = await open(bob.client);
    const updates: Message[] = [];
    bobSocket.on('message:updated', (m) => updates.push(m));
    await alice.client.editMessage(sent.body.message.id, { content: 'The fieldtrip to the Museum is on Thursday' });
    await eventually(() => updates.find((m) => m.content.includes('Museum')), 'bob to see the edit');
    await eventually(async () => ((await bob.client.searchMessages({ q: 'museum' })).results.length === 1 ? true : undefined), 'the edit indexed');
    expect((await bob.client.searchMessages({ q: 'aquarium' })).results).toEqual([]);
    await alice.client.deleteMessage(sent.body.message.id);
    await eventually(async () => ((await bob.client.searchMessages({ q: 'museum' })).results.length === 0 ? true : undefined), 'the delete unindexed');
    const [terms] = await sql<{ n: number }>(stack.database.url, `SELECT count(*)::int AS n FROM search_terms WHERE message_id = $1`, [sent.body.message.id]);
    expect(terms?.n).toBe(0);
  });

  it('refuses a socket without a valid token', async () => {
    const anonymous = new MessagingClient({ baseUrl: stack.api(0).url });
    const connection = anonymous.connect({ reconnection: false, connectTimeoutMs: 5_000 });
    sockets.push(connection);
    await expect(connection.ready()).rejects.toThrow(/token|unauthori|sign in/i);
    const forged = new MessagingClient({ baseUrl: stack.api(0).url });
    forged.setToken(`${alice.client.token ?? ''}x`);
    const bad = forged.connect({ reconnection: false, connectTimeoutMs: 5_000 });
    sockets.push(bad);
    await expect(bad.ready()).rejects.toThrow(/invalid|expired/i);
  });
});
