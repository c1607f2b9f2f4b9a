import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import Redis from 'ioredis';
import { io, Socket } from 'socket.io-client';
import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';
import { userKey } from '@mq/queue';

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
    stack = await TestStack.start({
      apis: 2,
      env: { LOGIN_FAILURES_PER_ACCOUNT: '3', LOGIN_FAILURES_PER_IP: '20', LOGIN_LOCKOUT_SECONDS: '2', LOGIN_LOCKOUT_MAX_SECONDS: '60' },
    });
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

    // The session check reads the user's entry in Redis, not Postgres; logout writes the new version over it.
    const redis = new Redis({ host: stack.queue.redis.host, port: stack.queue.redis.port, db: stack.queue.redis.db });
    const entry = async () => JSON.parse((await redis.get(userKey(stack.queue.prefix, carol.id, 'session-v2'))) ?? 'null') as { tokenVersion: number } | null;
    try {
      const before = (await entry())?.tokenVersion;
      expect(before).toEqual(expect.any(Number));
      await carol.client.logout();
      expect((await entry())?.tokenVersion).toBe((before ?? 0) + 1);
    } finally {
      redis.disconnect();
    }

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
    await admin.operator.updateUser(dan.id, { active: false });
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
    const fresh = await admin.operator.createUser({ email: `fresh-${randomUUID()}@system.test`, password: 'a-long-password-1', displayName: 'Fresh' });
    const hashOf = async (id: string) =>
      (await sql<{ password_hash: string }>(stack.database.url, `SELECT password_hash FROM users WHERE id = $1`, [id]))[0]?.password_hash ?? '';
    expect(await hashOf(fresh.id)).toMatch(/^scrypt\$131072\$8\$1\$/);

    // A user stored before the cost was raised (N=2^14).
    const salt = randomBytes(16);
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync('an-old-password-1', salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')].join(
      '$',
    );
    const id = randomUUID();
    const email = `old-${id}@system.test`;
    await sql(stack.database.url, `INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'Old', $3)`, [id, email, old]);
    const wrong = await stack
      .client()
      .login({ email, password: 'not-it' })
      .then(
        () => 'signed in',
        () => 'refused',
      );
    expect(wrong).toBe('refused');
    expect(await hashOf(id)).toBe(old);
    await stack.client().login({ email, password: 'an-old-password-1' });
    const upgraded = await hashOf(id);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    await stack.client().login({ email, password: 'an-old-password-1' });
    expect(await hashOf(id)).toBe(upgraded);
  });

  it('locks an account out after repeated failures on any instance: 429 with Retry-After, the right password included, until it ends; audited', async () => {
    const admin = await stack.admin();
    const email = `locked-${randomUUID()}@system.test`;
    const user = await admin.operator.createUser({ email, password: 'the-right-password-1', displayName: 'Locked' });
    const login = (api: number, password: string) =>
      fetch(`${stack.api(api).url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

    // Failures spread over both instances count together.
    expect([(await login(0, 'wrong-1')).status, (await login(1, 'wrong-2')).status, (await login(0, 'wrong-3')).status]).toEqual([401, 401, 401]);
    const locked = await login(1, 'the-right-password-1');
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(await locked.json()).toMatchObject({ statusCode: 429, code: 'too_many_requests', message: expect.stringMatching(/try again in \d+ s/) });

    // Once it ends, the right password works (and clears the count).
    const signedIn = await eventually(async () => {
      const response = await login(0, 'the-right-password-1');
      return response.status === 429 ? undefined : response.status;
    }, 'the lockout to end');
    expect(signedIn).toBe(200);
    const audit = await sql<{ action: string; actor_id: string; target: string }>(
      stack.database.url,
      `SELECT action, actor_id, target FROM audit_log WHERE action = 'auth.lockout'`,
    );
    expect(audit).toEqual([{ action: 'auth.lockout', actor_id: user.id, target: 'account' }]);
    // The count was cleared: three more failures are needed for the next lockout.
    expect([(await login(1, 'wrong-4')).status, (await login(0, 'wrong-5')).status]).toEqual([401, 401]);
    expect((await login(1, 'the-right-password-1')).status).toBe(200);
  });

  it('locks out an address that keeps sending forged socket tokens, on every instance, until the lockout ends', async () => {
    const url = stack.api(0).url;
    const [erin] = (await stack.users(1)) as [Member];
    const forged = `${(erin.client.token ?? '').slice(0, -4)}AAAA`;
    // Forged tokens are refused as such until the address's count reaches the limit (the wrong passwords above count too).
    const refusals: string[] = [];
    while (refusals.length < 25 && !refusals.some((r) => /Too many failed sign-ins/.test(r))) {
      refusals.push(
        await connect(url, forged).then(
          () => 'connected',
          (error: Error) => error.message,
        ),
      );
    }
    expect(refusals.at(-1)).toMatch(/Too many failed sign-ins: try again in \d+ s/);
    expect(new Set(refusals.slice(0, -1))).toEqual(new Set(['The access token is invalid']));
    // The address is now locked: even a good token is refused, on the other instance too, until the lockout ends.
    await expect(connect(stack.api(1).url, erin.client.token ?? '')).rejects.toThrow(/Too many failed sign-ins/);
    const live = await eventually(() => connect(url, erin.client.token ?? '').catch(() => undefined), 'the address lockout to end');
    sockets.push(live.socket);
  });
});
