import { expect, signInAsAdmin, test } from './support/fixtures';

test('Bull Board without a session: its API answers 401, a browser is sent to the login and back to the board', async ({ page, request, stack }) => {
  expect((await request.get('/admin/queues')).status()).toBe(401);
  expect((await request.get('/admin/queues/api/queues')).status()).toBe(401);

  await page.goto('/admin/queues');
  await expect(page).toHaveURL(/\/login\?next=\/admin\/queues$/);
  await expect(page.getByText('Message pipeline queues')).toHaveCount(0);
  await page.getByLabel('Email').fill(stack.admin.email);
  await page.getByLabel('Password').fill(stack.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/queues$/, { waitUntil: 'domcontentloaded' });
  await expect(page.getByText('message-delivery').first()).toBeVisible({ timeout: 20_000 });
});

test('Bull Board opens for the admin from the console, through the same origin', async ({ page, context, stack }) => {
  await signInAsAdmin(page, stack);
  const [board] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: /Bull Board/ }).click()]);
  // Its HTML links a web font that never loads here: wait for the board, not for the network.
  await board.waitForLoadState('domcontentloaded');
  expect(new URL(board.url()).pathname).toBe('/admin/queues');
  await expect(board.getByText('message-delivery').first()).toBeVisible({ timeout: 20_000 });
  await expect(board.getByText('batch-message-sending').first()).toBeVisible();
  await board.close();
});
