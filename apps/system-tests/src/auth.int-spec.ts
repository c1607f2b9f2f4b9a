import { io } from 'socket.io-client';
import { ApiError, MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { ADMIN, TestStack } from '@mq/system-testing';

/** Raw fetch with a cookie jar of one response's Set-Cookie headers. */
function cookiesFrom(response: Response): Record<string, { value: string; attributes: string }> {
  const jar: Record<string, { value: string; attributes: string }> = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = header.split(';');
    const [name = '', ...value] = pair.split('=');
    jar[name.trim()] = { value: value.join('='), attributes: attributes.join(';').toLowerCase() };
  }
  return jar;
}

describe('sessions: tokens, the console cookie with CSRF, sockets', () => {
  let stack: TestStack;
  let base: string;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, worker: false, env: { ACCESS_TOKEN_TTL_SECONDS: '5', CORS_ORIGINS: 'http://console.test' } });
    base = stack.api().url;
  });

  afterAll(() => stack?.stop());

  it('logs in with a token and an HttpOnly SameSite cookie; cookie mutations need the CSRF header', async () => {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    const body = (await login.json()) as { accessToken: string; user: Record<string, unknown> };
    expect(body.user).toEqual({ id: expect.any(String), email: ADMIN.email, displayName: expect.any(String), role: 'admin' });
    expect(JSON.stringify(body)).not.toMatch(/password|scrypt/i);
    const jar = cookiesFrom(login);
    expect(jar['mq_session']?.attributes).toMatch(/httponly/);
    expect(jar['mq_session']?.attributes).toMatch(/samesite=strict/);
    expect(jar['mq_csrf']?.attributes).not.toMatch(/httponly/);
    const cookie = `mq_session=${jar['mq_session']?.value}; mq_csrf=${jar['mq_csrf']?.value}`;

    expect((await fetch(`${base}/me`, { headers: { cookie } })).status).toBe(200);
    const create = (headers: Record<string, string>) =>
      fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: JSON.stringify({ email: `csrf-${Date.now()}@system.test`, password: 'a-long-password', displayName: 'C' }),
      });
    const refused = await create({});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/x-csrf-token/);
    expect((await create({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await create({ 'x-csrf-token': jar['mq_csrf']?.value ?? '' })).status).toBe(201);

    const logout = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    expect(cookiesFrom(logout)['mq_session']?.value).toBe('');
  });

  it('answers 401 for a wrong password or unknown email, 409 for a taken email, and never returns a hash', async () => {
    const client = new MessagingClient({ baseUrl: base });
    for (const credentials of [
      { email: ADMIN.email, password: 'wrong-password' },
      { email: 'nobody@system.test', password: 'whatever-123' },
    ]) {
      const error = await client.login(credentials).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as ApiError).status).toBe(401);
    }
    const admin = await stack.admin();
    const user = await admin.operator.createUser({ email: 'dup@system.test', password: 'a-long-password', displayName: 'D' });
    expect(JSON.stringify(user)).not.toMatch(/hash|password/i);
    const duplicate = await admin.operator.createUser({ email: 'DUP@system.test', password: 'a-long-password', displayName: 'D' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((duplicate as ApiError).status).toBe(409);
  });

  it('deactivating a user ends their sessions and stops their logins', async () => {
    const admin = await stack.admin();
    const [target] = await stack.users(1, 0, 'leaver');
    if (!target) throw new Error('no user');
    await target.client.me();
    await admin.operator.updateUser(target.id, { active: false });
    const me = await target.client.me().then(
      () => 200,
      (e: unknown) => (e as ApiError).status,
    );
    expect(me).toBe(401);
    const relogin = await new MessagingClient({ baseUrl: base }).login({ email: target.client.user?.email ?? '', password: 'a-user-password-123' }).then(
      () => 200,
      (e: unknown) => (e as ApiError).status,
    );
    expect(relogin).toBe(401);
  });

  it('cuts a live socket when its token expires, and refuses origins off the allow-list', async () => {
    const [member] = await stack.users(1, 0, 'socket');
    if (!member) throw new Error('no user');
    const connection = member.client.connect({ reconnection: false });
    await connection.ready();
    expect(connection.connected).toBe(true);
    await eventually(() => (connection.connected ? undefined : true), 'the socket to be cut at token expiry', 15_000);
    connection.disconnect();

    const fresh = new MessagingClient({ baseUrl: base });
    await fresh.login({ email: ADMIN.email, password: ADMIN.password });
    const attempt = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = io(base, { auth: { token: fresh.token }, transports: ['polling'], extraHeaders: { origin }, reconnection: false });
        socket.on('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.on('connect_error', () => {
          socket.disconnect();
          resolve('refused');
        });
      });
    expect(await attempt('http://evil.test')).toBe('refused');
    expect(await attempt('http://console.test')).toBe('connected');
  }, 30_000);
});
