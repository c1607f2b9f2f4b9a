import type { Page } from '@playwright/test';
import { createUsers, expect, signInAsAdmin, test } from './support/fixtures';

// Sign-in, sign-out and the end of a session, against the real api. The console must never
// load anything from outside its own origin (no remote fonts, scripts or images).

function recordForeignRequests(page: Page, baseURL: string | undefined): string[] {
  const origin = new URL(baseURL ?? 'http://127.0.0.1').origin;
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) foreign.push(url);
  });
  return foreign;
}

test('the login page shows a labelled form', async ({ page, baseURL }, testInfo) => {
  const foreign = recordForeignRequests(page, baseURL);
  await page.goto('/login');

  await expect(page).toHaveTitle(/Sign in/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveAttribute('type', 'email');
  await expect(page.getByLabel('Password')).toHaveAttribute('type', 'password');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();

  const screenshot = testInfo.outputPath('login.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach('login', { path: screenshot, contentType: 'image/png' });
  expect(foreign).toEqual([]);
});

test('a visitor without a session is sent to the login page, and back after signing in', async ({ page, baseURL, stack }) => {
  const foreign = recordForeignRequests(page, baseURL);
  await page.goto('/dead-letters');
  await expect(page).toHaveURL(/\/login\?next=\/dead-letters$/);
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

  await page.getByLabel('Email').fill(stack.admin.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Wrong email or password.');

  await page.getByLabel('Password').fill(stack.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dead-letters$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Dead letters' })).toBeVisible();
  expect(foreign).toEqual([]);
});

test('an account without the admin role is refused', async ({ page, stack, adminApi }) => {
  const [parent] = await createUsers(stack, adminApi, 1, 'parent');
  await page.goto('/login');
  await page.getByLabel('Email').fill(parent.email);
  await page.getByLabel('Password').fill(parent.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('This account cannot use the console.');
  // The refused sign-in left no session behind.
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=\/$/);
});

test('signing out ends the session; a session that ends elsewhere sends the operator to the login page', async ({ page, context, stack }) => {
  await signInAsAdmin(page, stack);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await context.cookies()).map((c) => c.name)).not.toContain('mq_session');
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=\/$/);

  // Signed in again, then the cookie disappears (expired, cleared): the next call answers 401.
  await signInAsAdmin(page, stack);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await context.clearCookies();
  await expect(page).toHaveURL(/\/login\?next=\/$/, { timeout: 15_000 });
});
