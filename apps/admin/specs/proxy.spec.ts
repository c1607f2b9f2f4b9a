/**
 * @jest-environment node
 */
import { NextRequest } from 'next/server';
import { proxy } from '../src/proxy';

const API = 'http://127.0.0.1:45678';

function run(path: string) {
  return proxy(new NextRequest(new URL(path, 'http://console.test')));
}

describe('proxy (src/proxy.ts)', () => {
  const saved = process.env['API_URL'];
  beforeEach(() => {
    process.env['API_URL'] = API;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['API_URL'];
    else process.env['API_URL'] = saved;
  });

  it("gives the console's pages a CSP with a fresh nonce, passed on to the renderer", () => {
    const first = run('/login');
    const second = run('/login');
    const policy = first.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(second.headers.get('content-security-policy')).not.toBe(policy);
    // NextResponse.next({ request: { headers } }) hands request headers on this way.
    expect(first.headers.get('x-middleware-request-x-nonce')).toBe(nonce);
    expect(first.headers.get('x-middleware-request-content-security-policy')).toBe(policy);
    expect(first.headers.get('x-middleware-rewrite')).toBeNull();
  });

  it.each(['/api/queue/metrics', '/admin/queues', '/admin/queues/api/queues', '/socket.io/'])('forwards %s to the api with no CSP of its own', (path) => {
    const response = run(path);
    expect(response.headers.get('x-middleware-rewrite')).toMatch(new RegExp(`^${API}/`));
    expect(response.headers.get('content-security-policy')).toBeNull();
    expect(response.headers.get('x-middleware-request-x-nonce')).toBeNull();
  });

  it('answers 502 on the api paths only when API_URL is invalid', () => {
    process.env['API_URL'] = 'ftp://nope';
    expect(run('/api/queue/metrics').status).toBe(502);
    expect(run('/login').headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
