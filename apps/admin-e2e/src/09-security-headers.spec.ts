import type { Page, Response } from '@playwright/test';
import { createUsers, expect, signInAsAdmin, signInToChat, test } from './support/fixtures';

// The console's Content-Security-Policy (a fresh nonce per response, set by apps/admin/src/proxy.ts)
// and its other security headers; and that the console, sockets included, works under them.

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => !!name)
      .map(([name, ...sources]) => [name as string, sources] as const),
  );
}

/** Checks the headers of one console page; returns the response's nonce. */
function expectConsoleHeaders(response: Response | null): string {
  expect(response?.status()).toBe(200);
  const headers = response?.headers() ?? {};
  const policy = directives(headers['content-security-policy'] ?? '');
  const scripts = policy.get('script-src') ?? [];
  const nonce = scripts.map((source) => /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(source)?.[1]).find(Boolean);
  expect(nonce, `a nonce in script-src: ${headers['content-security-policy']}`).toBeTruthy();
  expect(scripts).toContain("'strict-dynamic'");
  expect(scripts).not.toContain("'unsafe-inline'");
  // A production build (`next start`): eval only ever in `next dev`.
  expect(scripts).not.toContain("'unsafe-eval'");
  expect(policy.get('default-src')).toEqual(["'self'"]);
  expect(policy.get('style-src')).not.toContain("'unsafe-inline'");
  expect(policy.get('connect-src')).toEqual(["'self'"]);
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  expect(policy.get('object-src')).toEqual(["'none'"]);
  expect(policy.get('base-uri')).toEqual(["'self'"]);
  expect(policy.get('form-action')).toEqual(["'self'"]);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['permissions-policy']).toBe('camera=(), microphone=(), geolocation=()');
  return nonce as string;
}

/** Every <script> the server rendered carries the response's nonce, in the HTML and in the DOM. */
async function expectScriptsNonced(page: Page, response: Response | null, nonce: string): Promise<void> {
  const html = (await response?.text()) ?? '';
  const tags = html.match(/<script\b[^>]*>/g) ?? [];
  expect(tags.length).toBeGreaterThan(0);
  for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
  // Browsers hide the attribute from the DOM once parsed; the `nonce` property keeps the value.
  const domNonces = await page.locator('script').evaluateAll((scripts) => scripts.map((script) => (script as HTMLScriptElement).nonce));
  expect(domNonces.filter((value) => value === nonce).length).toBeGreaterThanOrEqual(tags.length);
}

interface Violations {
  events: string[];
  consoleErrors: string[];
}

/** Records CSP violations (the DOM event, on every document of the page) and the console's CSP errors. */
async function recordViolations(page: Page): Promise<Violations> {
  const found: Violations = { events: [], consoleErrors: [] };
  // A binding and an init script are Playwright's, not the page's: the policy does not apply to them.
  await page.exposeBinding('reportCspViolation', (_source, violation: string) => void found.events.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportCspViolation: (violation: string) => void }).reportCspViolation;
      void report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) found.consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    if (/content security policy/i.test(error.message)) found.consoleErrors.push(`pageerror: ${error.message}`);
  });
  return found;
}

test('the login page and a signed-in console page carry a nonce CSP, fresh per response, and the other security headers', async ({ page, stack }) => {
  const first = await page.goto('/login');
  const loginNonce = expectConsoleHeaders(first);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expectScriptsNonced(page, first, loginNonce);
  const again = await page.goto('/login');
  expect(expectConsoleHeaders(again)).not.toBe(loginNonce);

  await signInAsAdmin(page, stack);
  const dashboard = await page.goto('/');
  const dashboardNonce = expectConsoleHeaders(dashboard);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expectScriptsNonced(page, dashboard, dashboardNonce);
  expect(dashboardNonce).not.toBe(loginNonce);
  const reloaded = await page.reload();
  expect(expectConsoleHeaders(reloaded)).not.toBe(dashboardNonce);
});

test("the api's responses through the console keep the api's own headers, not the console's CSP", async ({ page, stack }) => {
  await signInAsAdmin(page, stack);
  for (const path of ['/api/health', '/admin/queues']) {
    const response = await page.request.get(path);
    expect(response.status(), path).toBe(200);
    const headers = response.headers();
    expect(headers['content-security-policy'], path).toBeTruthy();
    expect(headers['content-security-policy'], path).not.toContain("'nonce-");
    // next.config.js leaves these paths alone (the api sets no Permissions-Policy).
    expect(headers['permissions-policy'], path).toBeUndefined();
  }
  // The api's JSON loads nothing at all.
  expect((await page.request.get('/api/health')).headers()['content-security-policy']).toContain("default-src 'none'");
});

test('signing in, the dashboard with its live socket and /chat break nothing of the policy', async ({ page, stack, adminApi }) => {
  const violations = await recordViolations(page);
  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  const polls: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/socket.io/') && request.url().includes('transport=polling')) polls.push(request.url());
  });

  await signInAsAdmin(page, stack);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.locator('article[data-queue][data-state="ready"]')).toHaveCount(6);
  await expect(page.locator('[data-live="socket"]')).toContainText('Live');
  // socket.io upgraded to a websocket on the console's own origin: connect-src 'self' covers ws:.
  const consoleHost = new URL(stack.consoleUrl).host;
  await expect.poll(() => sockets.some((url) => url.startsWith(`ws://${consoleHost}/socket.io/`))).toBe(true);
  // WebSocket first, no long-poll before it: behind N api instances no request needs stickiness.
  expect(polls).toEqual([]);
  await expect(page.getByRole('img', { name: /Completed and failed jobs/ })).toBeVisible();

  // A client-side navigation loads further chunks (allowed by 'strict-dynamic').
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Failed deliveries' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Failed deliveries' })).toBeVisible();

  const [user] = await createUsers(stack, adminApi, 1, 'csp');
  if (!user) throw new Error('no user created');
  await signInToChat(page, user);
  // The chat's socket too: a websocket on the console's origin, never a long-poll.
  await expect.poll(() => sockets.filter((url) => url.startsWith(`ws://${consoleHost}/socket.io/`)).length).toBeGreaterThanOrEqual(2);
  expect(polls).toEqual([]);

  expect(violations.events).toEqual([]);
  expect(violations.consoleErrors).toEqual([]);

  // The recorder does see a violation when there is one: a connection to another origin.
  await page.evaluate(() => fetch('http://192.0.2.1/').catch(() => undefined));
  await expect.poll(() => violations.events.join('\n')).toContain('connect-src blocked http://192.0.2.1');
  await expect.poll(() => violations.consoleErrors.join('\n')).toMatch(/Content Security Policy/);
});
