import { randomUUID } from 'node:crypto';
import { expect, saveScreenshot, signInAsAdmin, sql, test } from './support/fixtures';

test('a broadcast to 500 users runs to 100% with its counts', async ({ page, stack, adminApi }, testInfo) => {
  // Recipients inserted directly, as the system tests do (hashing 500 passwords is not the point).
  const ids = Array.from({ length: 500 }, () => randomUUID());
  await sql(
    stack,
    `INSERT INTO users (id, email, display_name, password_hash)
     SELECT id, 'family-' || id || '@e2e.test', 'Family', 'not-a-login' FROM unnest($1::uuid[]) AS t(id)`,
    [ids],
  );

  await signInAsAdmin(page, stack, '/broadcast');
  await expect(page.getByRole('heading', { level: 1, name: 'Broadcast' })).toBeVisible();
  await page.getByLabel('Message', { exact: true }).fill('School closes at noon on Friday for staff training.');
  await page.getByRole('radio', { name: 'These users' }).check();
  await page.getByLabel('User ids').fill(ids.join('\n'));
  await expect(page.getByText('500 valid')).toBeVisible();
  await page.getByText('Pacing').click();
  await page.getByLabel('Recipients per chunk').fill('100');
  await page.getByLabel('Pause between chunks (ms)').fill('150');
  await page.getByRole('button', { name: 'Send broadcast…' }).click();

  const dialog = page.getByRole('dialog', { name: 'Send to 500 users?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Send now' }).click();

  await expect(page).toHaveURL(/\/broadcast\?batch=[0-9a-f-]{36}$/);
  const batchId = new URL(page.url()).searchParams.get('batch') as string;
  const bar = page.locator('progress.progress-bar');
  await expect(bar).toBeVisible();
  await expect(page.getByTestId('batch-progress')).toHaveText('100%', { timeout: 30_000 });
  await expect(bar).toHaveJSProperty('value', 100);
  await expect(page.getByTestId('batch-counts')).toHaveText('500 of 500 processed · 0 failed');
  await expect(page.locator('.batch [data-state]')).toHaveText('completed');

  expect(await adminApi.operator.getBatch(batchId)).toMatchObject({ total: 500, processed: 500, failed: 0, status: 'completed', progress: 100 });
  await saveScreenshot(page, testInfo, 'broadcast');
});
