import { get } from 'node:http';
import { TestStack } from '@mq/system-testing';

const METRICS_TOKEN = 'metrics-token-for-the-system-test';
const CONSOLE_ORIGIN = 'http://console.school.test:3000';

/** A CSP header as a map of directive -> sources. */
function directives(header: string | null): Record<string, string[]> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

describe('security headers, the Bull Board login redirect and the metrics token', () => {
  let stack: TestStack;
  let adminToken: string;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1, env: { METRICS_TOKEN, CORS_ORIGINS: CONSOLE_ORIGIN } });
    adminToken = (await stack.admin()).token ?? '';
  });

  afterAll(() => stack?.stop());

  it('answers JSON under a CSP that loads nothing and forbids framing, with the usual headers', async () => {
    for (const path of ['/health', '/conversations']) {
      const response = await fetch(`${stack.api().url}${path}`);
      const csp = directives(response.headers.get('content-security-policy'));
      expect(csp).toMatchObject({ 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('keeps an idle connection longer than a proxy in front keeps it (65 s), so a proxy never reuses one the api just closed', async () => {
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      get(`${stack.api().url}/health`, { headers: { connection: 'keep-alive' } }, (response) => {
        response.resume();
        resolve(String(response.headers['keep-alive']));
      }).on('error', reject);
    });
    expect(keepAlive).toBe('timeout=65');
  });

  it('serves Bull Board under its own CSP: its scripts from itself only, no inline script, no framing', async () => {
    const response = await fetch(`${stack.api().url}/admin/queues`, { headers: { authorization: `Bearer ${adminToken}`, accept: 'text/html' } });
    expect(response.status).toBe(200);
    const csp = directives(response.headers.get('content-security-policy'));
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    // Every script the page names is one of its own files (the inline JSON block is data, not script).
    const html = await response.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(scripts.filter((attributes) => !/src="static\//.test(attributes) && !/type="application\/json"/.test(attributes))).toEqual([]);
  });

  it('sends a browser without a session to the console’s login and back; API calls keep their 401', async () => {
    const page = await fetch(`${stack.api().url}/admin/queues`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`${CONSOLE_ORIGIN}/login?next=/admin/queues`);
    const proxied = await fetch(`${stack.api().url}/admin/queues/queue/message-delivery`, {
      headers: { accept: 'text/html', 'x-forwarded-host': 'console.school.test:3000' },
      redirect: 'manual',
    });
    expect(proxied.headers.get('location')).toBe('/login?next=/admin/queues/queue/message-delivery');
    const api = await fetch(`${stack.api().url}/admin/queues/api/queues`, { headers: { accept: 'application/json' }, redirect: 'manual' });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ statusCode: 401 });
  });

  it('serves /metrics on the api and the worker only with METRICS_TOKEN when one is set', async () => {
    for (const url of [stack.api().url, stack.worker?.url ?? '']) {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all-00' } })).status).toBe(401);
      const allowed = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toMatch(/^# HELP /m);
      // Health stays open to probes.
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
  });
});
