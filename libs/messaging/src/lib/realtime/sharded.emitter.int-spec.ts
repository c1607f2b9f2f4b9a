import { createServer, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, Socket as ClientSocket } from 'socket.io-client';
import { ADMIN_NAMESPACE, SOCKET_EVENTS, type Alert } from '@mq/messaging-contracts';
import { BullConnectionFactory } from '@mq/queue';
import { ThrowawayCluster, clusterQueueConfig, eventually, startThrowawayCluster } from '@mq/queue/testing';
import { createRealtimeAdapter } from './realtime.adapter';
import { RealtimeEmitter, userRoom } from './realtime.emitter';

// Two api-like socket.io servers and a worker-like emitter on a real 3+3 Redis Cluster: every
// event travels by sharded pub/sub (SPUBLISH/SSUBSCRIBE), on channels spread over the masters.
describe('realtime on a Redis Cluster (sharded pub/sub)', () => {
  const channelPrefix = 'mq-spec-io';
  // Fixed ids: their room channels hash to slots on all three masters (checked below).
  const users = ['u-alice', 'u-bob', 'u-carol', 'u-dave', 'u-erin', 'u-frank'];
  let cluster: ThrowawayCluster;
  const factories: BullConnectionFactory[] = [];
  const servers: { io: Server; http: HttpServer; port: number }[] = [];
  const clients: ClientSocket[] = [];
  let emitter: RealtimeEmitter;

  const factory = (): BullConnectionFactory => {
    const created = new BullConnectionFactory(clusterQueueConfig(cluster, 'mq-spec'), 'wait');
    factories.push(created);
    return created;
  };

  async function startServer(): Promise<{ io: Server; http: HttpServer; port: number }> {
    const http = createServer();
    const io = new Server(http);
    io.adapter(createRealtimeAdapter(factory(), { channelPrefix }));
    for (const nsp of [io.of('/'), io.of(ADMIN_NAMESPACE)]) {
      nsp.on('connection', (socket) => void socket.join(userRoom(String(socket.handshake.auth['user']))));
    }
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const started = { io, http, port: (http.address() as AddressInfo).port };
    servers.push(started);
    return started;
  }

  async function connectUser(port: number, user: string, nsp = '/'): Promise<ClientSocket> {
    const socket = connect(`http://127.0.0.1:${port}${nsp}`, { auth: { user }, transports: ['websocket'], reconnection: false });
    clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }

  const nextEvent = <T>(socket: ClientSocket, event: string): Promise<T> => new Promise((resolve) => socket.once(event, resolve));

  /** Sharded channels subscribed on each master, by master port. */
  async function shardChannels(): Promise<Map<number, string[]>> {
    const byMaster = new Map<number, string[]>();
    for (const node of (await cluster.topology()).filter((n) => n.role === 'master')) {
      const redis = new Redis({ host: node.host, port: node.port, lazyConnect: true });
      try {
        byMaster.set(node.port, (await redis.call('PUBSUB', 'SHARDCHANNELS', `${channelPrefix}#*`)) as string[]);
      } finally {
        redis.disconnect();
      }
    }
    return byMaster;
  }

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    emitter = new RealtimeEmitter(factory(), { channelPrefix });
  });

  afterAll(async () => {
    for (const socket of clients) socket.disconnect();
    for (const { io } of servers) await new Promise((resolve) => io.close(resolve));
    await Promise.all(factories.map((created) => created.closeAll()));
    await cluster?.stop();
  });

  it('delivers the worker’s events to sockets on every instance, once each, over channels on every master', async () => {
    const [a, b] = [await startServer(), await startServer()];
    const sockets = await Promise.all(users.map((user, i) => connectUser((i % 2 === 0 ? a : b).port, user)));
    // Each instance subscribes to the room channels of its own users only.
    const subscribed = await eventually(async () => {
      const channels = await shardChannels();
      const all = [...channels.values()].flat();
      return users.every((user) => all.includes(`${channelPrefix}#/#${userRoom(user)}#`)) ? channels : undefined;
    }, 'every user room subscribed');
    const mastersWithRooms = [...subscribed.values()].filter((channels) => channels.some((c) => c.includes('#user:')));
    expect(mastersWithRooms).toHaveLength(3);

    const received = sockets.map(() => [] as unknown[]);
    sockets.forEach((socket, i) => socket.on(SOCKET_EVENTS.MESSAGE_DELETED, (payload: unknown) => received[i]?.push(payload)));
    const payload = { id: 'm-1', conversationId: 'c-1' };
    emitter.toUsers(users, SOCKET_EVENTS.MESSAGE_DELETED, payload);
    // A second event after it on each user's channel (one channel, one order): once every user has
    // it, anything more of the first would have arrived before it.
    const marker = { id: 'm-2', conversationId: 'c-1' };
    emitter.toUsers(users, SOCKET_EVENTS.MESSAGE_DELETED, marker);
    await eventually(
      () => (received.every((events) => events.some((e) => JSON.stringify(e) === JSON.stringify(marker))) ? true : undefined),
      'every user’s second event',
    );
    expect(received).toEqual(users.map(() => [payload, marker]));
  });

  it('relays an api instance’s own room broadcast to a socket on another instance', async () => {
    const [a, b] = servers;
    const carol = await connectUser(b?.port as number, 'u-relay');
    await eventually(
      async () => ([...(await shardChannels()).values()].flat().includes(`${channelPrefix}#/#user:u-relay#`) ? true : undefined),
      'u-relay subscribed',
    );
    const got = nextEvent(carol, 'relay');
    a?.io.to(userRoom('u-relay')).emit('relay', { from: 'a' });
    await expect(got).resolves.toEqual({ from: 'a' });
  });

  it('reaches every instance’s admin sockets and disconnects a user everywhere', async () => {
    const [a, b] = servers;
    const admins = [await connectUser(a?.port as number, 'u-admin-1', ADMIN_NAMESPACE), await connectUser(b?.port as number, 'u-admin-2', ADMIN_NAMESPACE)];
    const gone = [await connectUser(a?.port as number, 'u-gone'), await connectUser(b?.port as number, 'u-gone')];
    const alerts = admins.map((socket) => nextEvent(socket, SOCKET_EVENTS.ALERT));
    const alert = { id: 'a-1' } as Alert;
    emitter.toAdmins(SOCKET_EVENTS.ALERT, alert);
    await expect(Promise.all(alerts)).resolves.toEqual([alert, alert]);

    const disconnected = gone.map((socket) => nextEvent(socket, 'disconnect'));
    emitter.disconnectUser('u-gone');
    await expect(Promise.all(disconnected)).resolves.toEqual(['io server disconnect', 'io server disconnect']);
    expect(admins.every((socket) => socket.connected)).toBe(true);
  });
});
