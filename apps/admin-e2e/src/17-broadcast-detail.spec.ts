import { copyForReadme, createUsers, expect, expectNoHorizontalOverflow, saveScreenshot, signInAsAdmin, test, worker } from './support/fixtures';

// A failure half-way must not leave the shared worker stopped (starting a running one is a no-op).
test.afterEach(async ({ stack }) => worker(stack, 'start'));

/*
 * A broadcast to four families, two of whose accounts are deactivated after it was sent and
 * before the worker fans it out: the fan-out sends to the two active ones and writes the other
 * two deliveries failed ("recipient account is inactive"). The operator opens the broadcast from
 * the list while it waits, watches it run, finds the two failures on its page, reactivates the
 * accounts and retries them all; they go out and leave the list.
 */
test('a broadcast’s page: live progress and counts, its failed deliveries, retried after the cause is fixed', async ({ page, stack, adminApi }, testInfo) => {
  test.setTimeout(120_000);
  const families = await createUsers(stack, adminApi, 4, 'detail');
  const [, ben, cat] = families;

  await worker(stack, 'stop');
  const { batchId } = await adminApi.operator.broadcast({
    recipientIds: families.map((family) => family.id),
    content: 'Sports day moves to Thursday',
    chunkSize: 2,
    chunkDelay: 0,
  });
  for (const family of [ben, cat]) await adminApi.operator.updateUser(family.id, { active: false });

  // Opened from the list while it waits for the worker.
  await signInAsAdmin(page, stack, '/broadcast');
  const row = page.getByRole('region', { name: 'Broadcasts' }).locator(`tr[data-batch-id="${batchId}"]`);
  await expect(row).toHaveAttribute('data-status', 'queued');
  await row.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/broadcast/${batchId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(batchId);
  const status = page.locator('.page-heading [data-state]');
  await expect(status).toHaveText('queued');
  await expect(page.getByTestId('batch-progress')).toHaveText('0%');
  await expect(page.getByTestId('batch-started-by')).not.toBeEmpty();
  await expect(page.getByTestId('no-failed-deliveries')).toBeVisible();

  // The worker runs it; the page follows on its own.
  await worker(stack, 'start');
  await expect(status).toHaveText('completed', { timeout: 30_000 });
  await expect(page.getByTestId('batch-progress')).toHaveText('100%');
  await expect(page.getByTestId('batch-counts')).toHaveText('2 of 4 processed · 2 failed');
  const counts = page.getByTestId('delivery-counts');
  await expect(counts.locator('[data-count="sent"] dd')).toHaveText('2');
  await expect(counts.locator('[data-count="failed"] dd')).toHaveText('2');

  const failedRows = page.getByRole('region', { name: 'Failed deliveries' }).locator('tbody tr');
  await expect(failedRows).toHaveCount(2);
  for (const family of [ben, cat]) {
    const failed = failedRows.and(page.locator(`[data-recipient-id="${family.id}"]`));
    await expect(failed).toContainText('recipient account is inactive');
    await expect(failed.getByRole('cell').nth(2)).toHaveText('1');
    await expect(failed.getByRole('link', { name: `batch:${batchId}` })).toBeVisible();
    await expect(failed.getByRole('link', { name: `Timeline of the delivery to ${family.id}` })).toBeVisible();
  }
  const api = await adminApi.operator.listFailedDeliveries({ batchId, limit: 10 });
  expect(api.deliveries.map((d) => d.recipientId).sort()).toEqual([ben.id, cat.id].sort());

  // Fits a laptop and a phone.
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(failedRows).toHaveCount(2);
    await expectNoHorizontalOverflow(page);
  }
  await saveScreenshot(page, testInfo, 'broadcast-detail-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await saveScreenshot(page, testInfo, 'broadcast-detail').then(copyForReadme);

  // Fix the cause, then retry them all from the keyboard: a fresh count first, nothing changes until confirmed.
  for (const family of [ben, cat]) await adminApi.operator.updateUser(family.id, { active: true });
  await page.getByRole('button', { name: 'Retry all failed…' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Retry 2 failed deliveries of this broadcast?' });
  await expect(dialog.getByTestId('dry-run-count')).toHaveText('2');
  expect((await adminApi.operator.listFailedDeliveries({ batchId })).deliveries).toHaveLength(2);
  await dialog.getByRole('button', { name: 'Retry 2' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Retried 2 failed deliveries' })).toBeVisible();

  // They go out: the list empties and the counts move from failed to sent.
  await expect(page.getByTestId('no-failed-deliveries')).toBeVisible({ timeout: 30_000 });
  await expect(failedRows).toHaveCount(0);
  await expect(counts.locator('[data-count="failed"] dd')).toHaveText('0');
  await expect(counts.locator('[data-count="sent"] dd')).toHaveText('4');
  const detail = await adminApi.operator.getBatchDetail(batchId);
  expect(detail.deliveries).toMatchObject({ sent: 4, failed: 0 });
  // The fan-out's own record stays what it did.
  expect(detail).toMatchObject({ processed: 2, failed: 2, status: 'completed' });
  if (!detail.messageId) throw new Error('the broadcast has no message');
  const deliveries = await adminApi.listDeliveries(detail.messageId);
  expect(deliveries.filter((d) => d.recipientId === ben.id || d.recipientId === cat.id).map((d) => d.status)).toEqual(['sent', 'sent']);
});
