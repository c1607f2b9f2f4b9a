import { expect, type Page, test } from '@playwright/test';

// The api is not running in these tests: `/api/*` answers with a proxy error. The console
// must still render its login page, must not let anyone into the dashboard, and must not
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
  await expect(page.getByLabel('Email')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveAttribute('type', 'email');
  await expect(page.getByLabel('Password')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('type', 'password');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();

  const screenshot = testInfo.outputPath('login.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach('login', { path: screenshot, contentType: 'image/png' });
  expect(foreign).toEqual([]);
});

test('the dashboard sends a visitor without a session to the login page', async ({ page, baseURL }) => {
  const foreign = recordForeignRequests(page, baseURL);
  await page.goto('/');

  await expect(page).toHaveURL(/\/login\?next=\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  expect(foreign).toEqual([]);
});
