import { expect, signInAsAdmin, test } from './support/fixtures';

test('Bull Board is refused without a session', async ({ page, request }) => {
  const answer = await request.get('/admin/queues');
  expect(answer.status()).toBe(401);
  const api = await request.get('/admin/queues/api/queues');
  expect(api.status()).toBe(401);

  const response = await page.goto('/admin/queues');
  expect(response?.status()).toBe(401);
  await expect(page.getByText('Message pipeline queues')).toHaveCount(0);
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
