import { MessagingClient } from '@mq/messaging-client';
import { expect, type Page, test as base, type TestInfo } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type FirstRunInfo, STACK_ENV, type StackInfo } from './stack-protocol';

export { expect };

const WORKSPACE = path.resolve(__dirname, '..', '..', '..', '..');
/** Screenshots kept as artefacts of the run. */
export const SCREENSHOT_DIR = path.join(WORKSPACE, 'dist', '.playwright', 'apps', 'admin-e2e', 'screenshots');
/** The one the README shows. */
/** Where the README's screenshots live: one per page, named as saveScreenshot named it. */
export const README_SCREENSHOT_DIR = path.join(WORKSPACE, 'apps', 'admin-e2e', 'screenshots');

/**
 * The six queues, as the console shows them. Spelled out rather than imported from
 * @mq/queue-contracts: that package's payload classes carry legacy decorators, which
 * Playwright's transform does not compile.
 */
export const QUEUES = [
  'message-delivery',
  'message-notification',
  'message-indexing',
  'message-encryption',
  'batch-message-sending',
  'message-cleanup',
] as const;

export function stackInfo(): StackInfo {
  const raw = process.env[STACK_ENV];
  if (!raw) throw new Error(`${STACK_ENV} is not set: run the tests through playwright.config.ts (its globalSetup starts the stack)`);
  return JSON.parse(raw) as StackInfo;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  displayName: string;
  client: MessagingClient;
}

interface Fixtures {
  stack: StackInfo;
  /** The api as an admin client (bearer token), for setting data up and checking what the UI did. */
  adminApi: MessagingClient;
}

export const test = base.extend<Fixtures>({
  // The console's address is only known once the global setup has started it.
  // (Playwright reads a fixture's dependencies from its destructuring: `{}` means none.)
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    await use(stackInfo().consoleUrl);
  },
  // eslint-disable-next-line no-empty-pattern
  stack: async ({}, use) => {
    await use(stackInfo());
  },
  adminApi: async ({ stack }, use) => {
    const client = new MessagingClient({ baseUrl: stack.apiUrl, timeoutMs: 15_000 });
    await client.login(stack.admin);
    await use(client);
  },
});

/** Signs in through the console's own form (as the stack's admin, or another console user) and waits for the page behind it. */
export async function signInAsAdmin(page: Page, stack: Pick<StackInfo, 'admin'>, next = '/'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(stack.admin.email);
  await page.getByLabel('Password').fill(stack.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** Signs in on /chat (its own sign-in, apart from the console's session) and waits for the live socket. */
export async function signInToChat(page: Page, user: Pick<TestUser, 'id' | 'email' | 'password'>): Promise<void> {
  await page.goto('/chat');
  await expect(page.getByRole('heading', { level: 1, name: 'Chat sign-in' })).toBeVisible();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('my-user-id')).toHaveText(user.id);
  await expect(page.locator('[data-connection]')).toHaveText('Connected');
}

/** Real users through the admin api, signed in as api clients. */
export async function createUsers(stack: StackInfo, adminApi: MessagingClient, count: number, label: string): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${label}${i}-${Math.random().toString(36).slice(2, 8)}@e2e.test`;
    const password = 'an-e2e-user-password-1';
    const displayName = `${label} ${i}`;
    const user = await adminApi.operator.createUser({ email, password, displayName });
    const client = new MessagingClient({ baseUrl: stack.apiUrl, timeoutMs: 15_000 });
    await client.login({ email, password });
    users.push({ id: user.id, email, password, displayName, client });
  }
  return users;
}

/** One statement against the stack's database (bulk inserts, as the system tests do), run by the stack host. */
export async function sql<T = Record<string, unknown>>(stack: StackInfo, text: string, params: unknown[] = []): Promise<T[]> {
  const response = await fetch(`${stack.controlUrl}/sql`, { method: 'POST', body: JSON.stringify({ text, params }) });
  if (!response.ok) throw new Error(`sql: ${response.status} ${await response.text()}`);
  return (await response.json()) as T[];
}

/** Stops (SIGTERM), kills (SIGKILL: no shutdown hooks, like a crash) or starts the stack's worker (a real process) through the host's control endpoint. */
export async function worker(stack: StackInfo, action: 'stop' | 'start' | 'kill'): Promise<void> {
  const response = await fetch(`${stack.controlUrl}/worker/${action}`, { method: 'POST' });
  if (!response.ok) throw new Error(`worker ${action}: ${response.status} ${await response.text()}`);
}

/** A second system from an empty database with the demo school (DEMO_DATA), as `npm start` gives; started once per run. */
export async function startFirstRun(stack: StackInfo): Promise<FirstRunInfo> {
  const response = await fetch(`${stack.controlUrl}/first-run`, { method: 'POST' });
  if (!response.ok) throw new Error(`first run: ${response.status} ${await response.text()}`);
  return (await response.json()) as FirstRunInfo;
}

export async function stopFirstRun(stack: StackInfo): Promise<void> {
  const response = await fetch(`${stack.controlUrl}/first-run`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`first run stop: ${response.status} ${await response.text()}`);
}

/** A full-page screenshot kept under dist/.playwright and attached to the report. */
export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}

/**
 * Refreshes a README screenshot when asked (`UPDATE_README_SCREENSHOT=1 npx nx e2e admin-e2e`),
 * so an ordinary run leaves the working tree as it found it.
 */
export function copyForReadme(file: string): void {
  if (process.env['UPDATE_README_SCREENSHOT'] !== '1') return;
  mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
  copyFileSync(file, path.join(README_SCREENSHOT_DIR, path.basename(file)));
}

/** The numbers a queue card shows, as the api reports them. */
export async function cardCounts(page: Page, queue: string): Promise<Record<string, number>> {
  const card = page.locator(`article[data-queue="${queue}"]`);
  const entries = await card
    .locator('[data-count]')
    .evaluateAll((nodes) =>
      nodes.map((node) => [node.getAttribute('data-count') ?? '', (node.querySelector('dd')?.textContent ?? '').replace(/[^0-9]/g, '')] as const),
    );
  return Object.fromEntries(entries.map(([key, value]) => [key, Number(value)]));
}

/** No horizontal scrolling of the page at the current width. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'page wider than the viewport').toBeLessThanOrEqual(1);
}
