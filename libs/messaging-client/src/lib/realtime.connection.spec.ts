import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Namespace, Server, type Socket as ServerSocket } from 'socket.io';
import {
  ADMIN_NAMESPACE,
  SOCKET_EVENTS,
  type AdminServerToClientEvents,
  type ClientToServerEvents,
  type Message,
  type QueueMetrics,
  type ServerToClientEvents,
} from '@mq/messaging-contracts';
import { ConversationInbox } from './conversation-inbox';
import { MessagingClient } from './messaging.client';
import type { RealtimeConnection, AdminRealtimeConnection } from './realtime.connection';
import type { ConnectionState } from './socket.connection';
import { RealtimeAckError, RealtimeConnectError } from './realtime.errors';

type ApiSocket = ServerSocket<ClientToServerEvents, ServerToClientEvents>;

function makeMessage(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m-${seq}`,
    conversationId: 'c-1',
    seq,
    senderId: 'u-other',
    content: `message ${seq}`,
    clientMessageId: null,
    priority: 'normal',
    status: 'sent',
    sendAt: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    editedAt: null,
    ...overrides,
  };
}

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A real socket.io server with the api's handshake rule: a token from `validTokens`, else refused. */
async function startSocketServer() {
  const httpServer = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer);
  const validTokens = new Set(['tok-1', 'tok-2', 'admin-tok']);
  const handshakeTokens: unknown[] = [];
  const sockets: ApiSocket[] = [];
  const checkToken = (socket: { handshake: { auth: Record<string, unknown> } }, next: (error?: Error) => void) => {
    const token = socket.handshake.auth['token'];
    handshakeTokens.push(token);
    if (typeof token === 'string' && validTokens.has(token)) return next();
    next(Object.assign(new Error('unauthorized'), { data: { code: 'TOKEN_INVALID' } }));
  };
  io.use(checkToken);
  io.on('connection', (socket) => sockets.push(socket));
  const admin = io.of(ADMIN_NAMESPACE) as unknown as Namespace<Record<string, never>, AdminServerToClientEvents>;
  admin.use(checkToken);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    io,
    admin,
    baseUrl: `http://127.0.0.1:${port}`,
    validTokens,
    handshakeTokens,
    sockets,
    close: () => io.close(),
  };
}

describe('RealtimeConnection', () => {
  let server: Awaited<ReturnType<typeof startSocketServer>>;
  const opened: Array<RealtimeConnection | AdminRealtimeConnection> = [];

  function connect(token: string | null, options: Parameters<MessagingClient['connect']>[0] = {}) {
    const client = new MessagingClient({ baseUrl: server.baseUrl, token });
    const connection = client.connect({ reconnection: { delayMs: 20, maxDelayMs: 50 }, ...options });
    opened.push(connection);
    return { client, connection };
  }

  beforeEach(async () => {
    server = await startSocketServer();
  });

  afterEach(async () => {
    opened.splice(0).forEach((connection) => connection.disconnect());
    await server.close();
  });

  it('sends the token in the handshake and reports its state', async () => {
    const { connection } = connect('tok-1');
    const states: ConnectionState[] = [];
    connection.onStateChange(({ state }) => states.push(state));
    expect(connection.state).toBe('connecting');

    await connection.ready();

    expect(server.handshakeTokens).toEqual(['tok-1']);
    expect(connection.state).toBe('connected');
    expect(connection.connected).toBe(true);
    expect(connection.id).toBe(server.sockets[0].id);
    expect(states).toEqual(['connected']);
    expect(server.sockets[0].conn.transport.name).toBe('websocket');
  });

  it('gives up on an unreachable server when reconnection is off', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new MessagingClient({ baseUrl: `http://127.0.0.1:${port}`, token: 'tok-1' });
    const connection = client.connect({ reconnection: false, transports: ['websocket'] });
    opened.push(connection);

    const error = await connection.ready().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RealtimeConnectError);
    expect(error).toMatchObject({ refused: false });
    expect((error as Error).message).toMatch(/^cannot connect: /);
    expect(connection.state).toBe('disconnected');
  });

  it('sends the current token again on every reconnect, so a renewed token is used', async () => {
    const { client, connection } = connect('tok-1');
    const states: ConnectionState[] = [];
    connection.onStateChange(({ state }) => states.push(state));
    await connection.ready();

    client.setToken('tok-2');
    server.sockets[0].conn.close(); // drops the transport: the client reconnects by itself
    await waitUntil(() => server.sockets.length === 2 && connection.state === 'connected');

    expect(server.handshakeTokens).toEqual(['tok-1', 'tok-2']);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
  });

  it('surfaces a refused handshake as a RealtimeConnectError, and connects after the token is fixed', async () => {
    const { client, connection } = connect('expired');
    const errors: Error[] = [];
    connection.onError((error) => errors.push(error));

    const error = await connection.ready().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RealtimeConnectError);
    expect(error).toMatchObject({ refused: true, data: { code: 'TOKEN_INVALID' }, message: 'handshake refused: unauthorized' });
    expect(errors).toEqual([error]);
    expect(connection.state).toBe('disconnected');
    await expect(connection.ready()).rejects.toBe(error);

    client.setToken('tok-1');
    await connection.reconnect();

    expect(connection.state).toBe('connected');
    expect(server.handshakeTokens).toEqual(['expired', 'tok-1']);
  });

  it('refuses a connection without a token', async () => {
    const { connection } = connect(null);

    await expect(connection.ready()).rejects.toMatchObject({ refused: true });
    expect(server.handshakeTokens).toEqual([undefined]);
  });

  it('says so when the server closes the socket (no automatic reconnect)', async () => {
    const { connection } = connect('tok-1');
    await connection.ready();
    const changes: Array<{ state: ConnectionState; reason?: string }> = [];
    connection.onStateChange((change) => changes.push(change));

    server.sockets[0].disconnect(true);
    await waitUntil(() => connection.state === 'disconnected');

    expect(changes).toEqual([{ state: 'disconnected', reason: 'io server disconnect' }]);
  });

  it('sends a message with an ack round trip', async () => {
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_SEND, (payload, ack) =>
        ack({ ok: true, message: makeMessage(7, { content: payload.content, clientMessageId: payload.clientMessageId }) }),
      );
    });
    const { connection } = connect('tok-1');
    await connection.ready();

    const message = await connection.sendViaSocket({ conversationId: 'c-1', content: 'hi there', clientMessageId: 'k-1' });

    expect(message).toEqual(makeMessage(7, { content: 'hi there', clientMessageId: 'k-1' }));
  });

  it('turns {ok:false} and a missing ack into RealtimeAckError', async () => {
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_SEND, (_payload, ack) => ack({ ok: false, error: 'not a member', status: 403, code: 'forbidden' }));
      socket.on(SOCKET_EVENTS.MESSAGE_READ, () => undefined); // never acks
    });
    const { connection } = connect('tok-1', { ackTimeoutMs: 100 });
    await connection.ready();

    const refused = await connection.sendViaSocket({ conversationId: 'c-9', content: 'x', clientMessageId: 'k-2' }).catch((e: unknown) => e);
    const silent = await connection.ackRead('m-1').catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(RealtimeAckError);
    expect(refused).toMatchObject({ event: 'message:send', reason: 'not a member', statusCode: 403, timedOut: false });
    expect(silent).toBeInstanceOf(RealtimeAckError);
    expect(silent).toMatchObject({ event: 'message:read', timedOut: true });
  });

  it('syncs and acknowledges reads over the socket', async () => {
    const reads: string[] = [];
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.SYNC, ({ conversationId, afterSeq }, ack) =>
        ack({ ok: true, messages: [makeMessage(afterSeq + 1, { conversationId }), makeMessage(afterSeq + 2, { conversationId })] }),
      );
      socket.on(SOCKET_EVENTS.MESSAGE_READ, ({ messageId }, ack) => {
        reads.push(messageId);
        ack({ ok: true });
      });
    });
    const { connection } = connect('tok-1');
    await connection.ready();

    const messages = await connection.sync('c-1', 4);
    await connection.ackRead('m-5');

    expect(messages.map((m) => m.seq)).toEqual([5, 6]);
    expect(reads).toEqual(['m-5']);
  });

  it('with autoAckDelivered, acknowledges every message:new from someone else', async () => {
    const delivered: string[] = [];
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_DELIVERED, ({ messageId }, ack) => {
        delivered.push(messageId);
        ack({ ok: true });
      });
    });
    const { connection } = connect('tok-1', { autoAckDelivered: true, userId: 'u-me' });
    const received: Array<number | null> = [];
    connection.on(SOCKET_EVENTS.MESSAGE_NEW, (message) => received.push(message.seq));
    await connection.ready();

    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(1));
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(2, { senderId: 'u-me' }));
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(3));
    await waitUntil(() => received.length === 3 && delivered.length === 2);

    expect(received).toEqual([1, 2, 3]);
    expect(delivered).toEqual(['m-1', 'm-3']);
  });

  it('with autoAckDelivered, sends back the traceparent a message:new came with (tracing), and nothing when it had none', async () => {
    const payloads: unknown[] = [];
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_DELIVERED, (payload, ack) => {
        payloads.push(payload);
        ack({ ok: true });
      });
    });
    const { connection } = connect('tok-1', { autoAckDelivered: true, userId: 'u-me' });
    await connection.ready();
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, { ...makeMessage(1), traceparent });
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(2));
    await waitUntil(() => payloads.length === 2);
    expect(payloads).toEqual([{ messageId: 'm-1', traceparent }, { messageId: 'm-2' }]);
  });

  it('with autoAckDelivered, tries a refused receipt again until the server takes it', async () => {
    const attempts: string[] = [];
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_DELIVERED, ({ messageId }, ack) => {
        attempts.push(messageId);
        ack(attempts.length < 3 ? { ok: false, error: 'database unavailable', status: 503, code: 'unavailable' } : { ok: true });
      });
    });
    const { connection } = connect('tok-1', { autoAckDelivered: true, userId: 'u-me' });
    await connection.ready();
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(7));
    await waitUntil(() => attempts.length === 3, 10_000);
    expect(attempts).toEqual(['m-7', 'm-7', 'm-7']);
  });

  it('does not acknowledge without autoAckDelivered', async () => {
    const delivered: string[] = [];
    server.io.on('connection', (socket) => {
      socket.on(SOCKET_EVENTS.MESSAGE_DELIVERED, ({ messageId }, ack) => {
        delivered.push(messageId);
        ack({ ok: true });
      });
      socket.on(SOCKET_EVENTS.SYNC, (_payload, ack) => ack({ ok: true, messages: [] }));
    });
    const { connection } = connect('tok-1');
    const received: string[] = [];
    connection.on(SOCKET_EVENTS.MESSAGE_NEW, (message) => received.push(message.id));
    await connection.ready();

    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(1));
    await waitUntil(() => received.length === 1);
    await connection.sync('c-1', 1); // a round trip after the event, so a stray ack would have arrived first

    expect(delivered).toEqual([]);
  });

  it('keeps handlers isolated: an unsubscribed one stops, a throwing one is reported', async () => {
    const { connection } = connect('tok-1');
    const first: string[] = [];
    const second: string[] = [];
    const errors: Error[] = [];
    const unsubscribe = connection.on(SOCKET_EVENTS.MESSAGE_STATUS, (event) => first.push(event.status));
    connection.on(SOCKET_EVENTS.MESSAGE_STATUS, (event) => {
      second.push(event.status);
      throw new Error('handler bug');
    });
    connection.onError((error) => errors.push(error));
    await connection.ready();
    const status = { messageId: 'm-1', recipientId: 'u-2', at: '2025-01-01T00:00:00.000Z' };

    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_STATUS, { ...status, status: 'delivered' });
    await waitUntil(() => second.length === 1);
    unsubscribe();
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_STATUS, { ...status, status: 'read' });
    await waitUntil(() => second.length === 2);

    expect(first).toEqual(['delivered']);
    expect(second).toEqual(['delivered', 'read']);
    expect(errors.map((e) => e.message)).toEqual(['a "message:status" handler threw: handler bug', 'a "message:status" handler threw: handler bug']);
  });

  it('feeds an inbox that counts a redelivered message once and keeps seq order', async () => {
    const { connection } = connect('tok-1');
    const inbox = new ConversationInbox('c-1');
    inbox.attach(connection);
    await connection.ready();

    for (const seq of [2, 1, 2, 3, 1]) server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_NEW, makeMessage(seq));
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_UPDATED, makeMessage(3, { content: 'edited', editedAt: '2025-01-01T00:01:00.000Z' }));
    server.sockets[0].emit(SOCKET_EVENTS.MESSAGE_DELETED, { id: 'm-1', conversationId: 'c-1' });
    await waitUntil(() => inbox.get('m-1')?.status === 'deleted');

    expect(inbox.messages.map((m) => [m.seq, m.content, m.status])).toEqual([
      [1, '', 'deleted'],
      [2, 'message 2', 'sent'],
      [3, 'edited', 'sent'],
    ]);
    expect(inbox.duplicates).toBe(2);
    expect(inbox.missingAfter()).toBe(3);
  });

  it('opens the /admin namespace and receives its events', async () => {
    server.admin.on('connection', (socket) => {
      const metrics: QueueMetrics = {
        queues: { 'message-delivery': { waiting: 1, active: 0, completed: 5, failed: 0, delayed: 0, paused: 0 } },
        totals: { waiting: 1, active: 0, completed: 5, failed: 0, delayed: 0, paused: 0 },
        timestamp: '2025-01-01T00:00:00.000Z',
      };
      socket.emit(SOCKET_EVENTS.QUEUE_METRICS, metrics);
    });
    const client = new MessagingClient({ baseUrl: server.baseUrl, token: 'admin-tok' });
    const admin = client.connectAdmin();
    opened.push(admin);
    const seen: QueueMetrics[] = [];
    admin.on(SOCKET_EVENTS.QUEUE_METRICS, (metrics) => seen.push(metrics));

    await admin.ready();
    await waitUntil(() => seen.length === 1);

    expect(seen[0].totals.completed).toBe(5);
    expect(server.handshakeTokens).toEqual(['admin-tok']);
  });
});
