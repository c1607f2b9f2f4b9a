import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, test } from './support/fixtures';

test('pause and resume a queue from its page; the api confirms each state', async ({ page, stack, adminApi }) => {
  await signInAsAdmin(page, stack);
  await page.getByRole('article', { name: 'message-cleanup' }).getByRole('link', { name: 'message-cleanup' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'message-cleanup' })).toBeVisible();
  const paused = async () => (await adminApi.operator.getQueueHealth()).queues['message-cleanup']?.paused;
  expect(await paused()).toBe(false);

  await page.getByRole('button', { name: 'Pause queue' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'message-cleanup is paused' })).toBeVisible();
  await expect.poll(paused).toBe(true);
  await expect(page.getByTestId('paused-badge')).toBeVisible();

  await page.getByRole('button', { name: 'Resume queue' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'message-cleanup is running again' })).toBeVisible();
  await expect.poll(paused).toBe(false);
  await expect(page.getByTestId('paused-badge')).toHaveCount(0);

  // Both are on the audit log.
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('row', { name: /queue\.pause message-cleanup/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /queue\.resume message-cleanup/ })).toBeVisible();
});

test('bulk actions show the dry-run count in a dialog first, and run only when confirmed', async ({ page, stack, adminApi }, testInfo) => {
  // Completed jobs to clean (an edit re-indexes), and delayed ones to promote: real sends through the api.
  const [ann, ben] = await createUsers(stack, adminApi, 2, 'bulk');
  const { body: conversation } = await ann.client.createConversation({ type: 'direct', participantIds: [ben.id] });
  const { body: sent } = await ann.client.sendMessage({ conversationId: conversation.id, content: 'Sports day is on Friday' });
  await ann.client.editMessage(sent.message.id, { content: 'Sports day is on Saturday' });
  await ann.client.sendMessage({ conversationId: conversation.id, content: 'Bring a packed lunch', sendAt: new Date(Date.now() + 7_200_000).toISOString() });
  await expect.poll(async () => (await adminApi.operator.getQueueMetrics()).queues['message-indexing'].completed).toBeGreaterThan(0);

  await signInAsAdmin(page, stack, '/queues/message-delivery');
  await expect(page.getByRole('heading', { level: 1, name: 'message-delivery' })).toBeVisible();

  // Promote: the dialog says how many are delayed; Escape cancels, focus returns, nothing changes.
  const delayedBefore = (await adminApi.operator.getQueueMetrics()).queues['message-delivery'].delayed;
  const promote = page.getByRole('button', { name: 'Promote delayed…' });
  await promote.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('dry-run-count')).toHaveText(String(delayedBefore));
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(promote).toBeFocused();
  expect((await adminApi.operator.getQueueMetrics()).queues['message-delivery'].delayed).toBe(delayedBefore);

  // Jobs by state, with paging.
  await page.getByRole('button', { name: /^delayed/ }).click();
  await expect(page.locator('tbody tr').first()).toContainText('send-message');
  await expect(page.getByRole('navigation', { name: 'Job pages' })).toContainText(`${delayedBefore} delayed`);
  copyForReadme(await saveScreenshot(page, testInfo, 'queue'));

  // Clean: the count the dialog shows is the api's dry run; confirming removes them.
  await page.goto('/queues/message-indexing');
  await page.getByLabel('State of the jobs to clean').selectOption('completed');
  await page.getByLabel('Age of the jobs to clean').selectOption({ label: 'any age' });
  await page.getByRole('button', { name: 'Clean…' }).click();
  const matched = (await adminApi.operator.cleanQueue('message-indexing', { state: 'completed', olderThanMs: 0, dryRun: true })).body.matched;
  expect(matched).toBeGreaterThan(0);
  await expect(dialog.getByTestId('dry-run-count')).toHaveText(String(matched));
  await dialog.getByRole('button', { name: `Remove ${matched}` }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: `Removed ${matched} job` })).toBeVisible();
  await expect.poll(async () => (await adminApi.operator.getQueueMetrics()).queues['message-indexing'].completed).toBe(0);
});
