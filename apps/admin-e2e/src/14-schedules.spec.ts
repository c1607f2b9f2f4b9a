import type { AuditEntry } from '@mq/messaging-contracts';
import { copyForReadme, expect, saveScreenshot, signInAsAdmin, test, worker } from './support/fixtures';

test('the nightly cleanup on the schedules page: paused (and still paused after a worker restart), resumed, run now', async ({ page, stack }, testInfo) => {
  await signInAsAdmin(page, stack);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Schedules' })).toBeVisible();
  const row = page.locator('tr[data-schedule="cleanup-messages"]');
  await expect(row).toHaveAttribute('data-status', 'active');
  await expect(row).toContainText('0 2 * * *');

  await row.getByRole('button', { name: 'Pause cleanup-messages' }).click();
  await expect(page.getByRole('status')).toHaveText('cleanup-messages paused.');
  await expect(row).toHaveAttribute('data-status', 'paused');

  // A worker that starts again registers its schedules, but not one an operator paused.
  await worker(stack, 'stop');
  await worker(stack, 'start');
  await page.reload();
  await expect(row).toHaveAttribute('data-status', 'paused');

  await row.getByRole('button', { name: 'Resume cleanup-messages' }).click();
  await expect(row).toHaveAttribute('data-status', 'active');
  await row.getByRole('button', { name: 'Run now cleanup-messages' }).click();
  await expect(page.getByRole('status')).toHaveText('cleanup-messages started now.');
  await expect(row.getByTestId('last-run')).toContainText('completed');
  await expect(row).toHaveAttribute('data-status', 'active');
  await expect(page.getByText('Loading…')).toHaveCount(0);
  copyForReadme(await saveScreenshot(page, testInfo, 'schedules'));

  const audit = (await (await page.request.get('/api/audit?action=schedule.&limit=50')).json()) as AuditEntry[];
  expect(audit.map((entry) => entry.action).reverse()).toEqual(['schedule.pause', 'schedule.resume', 'schedule.run']);
});
