import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { io, Socket } from 'socket.io-client';
import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

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

  it('hashes passwords at the OWASP scrypt cost, and upgrades an older hash at the next successful login', async () => {
    const admin = await stack.admin();
    const fresh = await admin.createUser({ email: `fresh-${randomUUID()}@system.test`, password: 'a-long-password-1', displayName: 'Fresh' });
    const hashOf = async (id: string) => (await sql<{ password_hash: string }>(stack.database.url, `SELECT password_hash FROM users WHERE id = $1`, [id]))[0]?.password_hash ?? '';
    expect(await hashOf(fresh.id)).toMatch(/^scrypt\$131072\$8\$1\$/);

    // A user stored before the cost was raised (N=2^14).
    const salt = randomBytes(16);
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync('an-old-password-1', salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')].join('$');
    const id = randomUUID();
    const email = `old-${id}@system.test`;
    await sql(stack.database.url, `INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'Old', $3)`, [id, email, old]);
    const wrong = await stack.client().login({ email, password: 'not-it' }).then(() => 'signed in', () => 'refused');
    expect(wrong).toBe('refused');
    expect(await hashOf(id)).toBe(old);
    await stack.client().login({ email, password: 'an-old-password-1' });
    const upgraded = await hashOf(id);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    await stack.client().login({ email, password: 'an-old-password-1' });
    expect(await hashOf(id)).toBe(upgraded);
  });
});
