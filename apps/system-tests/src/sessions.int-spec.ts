import { io, Socket } from 'socket.io-client';
import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

/** A raw socket with its token, and whether the server has cut it. */
async function connect(url: string, token: string, namespace = ''): Promise<{ socket: Socket; cut: () => boolean }> {
  const socket = io(`${url}${namespace}`, { auth: { token }, transports: ['websocket'], reconnection: false });
  let cut = false;
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') cut = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, cut: () => cut };
}

const statusOf = async (url: string, token: string) => (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('sessions end when they should, on every api instance', () => {
  let stack: TestStack;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 2 });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
  });

  it('logout revokes the token at once: REST on both instances refuses it and its sockets are cut', async () => {
    const [carol] = (await stack.users(1)) as [Member];
    const token = carol.client.token ?? '';
    const [first, second] = [stack.api(0).url, stack.api(1).url];
    expect([await statusOf(first, token), await statusOf(second, token)]).toEqual([200, 200]);
    const live = await connect(second, token);
    sockets.push(live.socket);

    await carol.client.logout();

    expect([await statusOf(first, token), await statusOf(second, token)]).toEqual([401, 401]);
    await eventually(() => (live.cut() ? true : undefined), 'the socket on the other instance to be cut');
    await expect(connect(first, token)).rejects.toThrow(/session has ended/);
  });

  it('deactivating a user cuts their sockets and refuses their token; an admin’s console socket is cut when they log out', async () => {
    const [dan] = (await stack.users(1)) as [Member];
    const token = dan.client.token ?? '';
    const live = await connect(stack.api(1).url, token);
    sockets.push(live.socket);
    const admin = await stack.admin();
    await admin.updateUser(dan.id, { active: false });
    await eventually(() => (live.cut() ? true : undefined), 'the deactivated user’s socket to be cut');
    expect(await statusOf(stack.api(0).url, token)).toBe(401);

    const operator = await stack.admin(1);
    const console = await connect(stack.api(1).url, operator.token ?? '', '/admin');
    sockets.push(console.socket);
    await operator.logout();
    await eventually(() => (console.cut() ? true : undefined), 'the admin namespace socket to be cut');
  });
});
