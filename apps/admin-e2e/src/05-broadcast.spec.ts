import { randomUUID } from 'node:crypto';
import { copyForReadme, expect, saveScreenshot, signInAsAdmin, sql, test } from './support/fixtures';

test('a broadcast to 500 users runs to 100% with its counts, and the list of broadcasts follows it while it runs', async ({
  page,
  stack,
  adminApi,
}, testInfo) => {
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
  // Five chunks two seconds apart: long enough for the list (re-read every 2 s) to see it running.
  await page.getByLabel('Pause between chunks (ms)').fill('2000');
  await page.getByRole('button', { name: 'Send broadcast…' }).click();

  const dialog = page.getByRole('dialog', { name: 'Send to 500 users?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Send now' }).click();

  // It opens on its own page, live.
  await expect(page).toHaveURL(/\/broadcast\/[0-9a-f-]{36}$/);
  const batchId = new URL(page.url()).pathname.split('/').pop() as string;
  const bar = page.locator('.batch progress.progress-bar');
  await expect(bar).toBeVisible();

  // The list shows it running, part way, with who started it.
  await page.getByRole('link', { name: 'Broadcasts', exact: true }).click();
  const row = page.getByRole('region', { name: 'Broadcasts' }).locator(`tr[data-batch-id="${batchId}"]`);
  await expect(row).toHaveAttribute('data-status', 'running');
  await expect(row.getByTestId('list-progress')).toHaveText(/^([1-9]|[1-9][0-9])%$/);

  // Back on its page from the list, it runs to the end.
  await row.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/broadcast/${batchId}$`));
  await expect(page.getByTestId('batch-progress')).toHaveText('100%', { timeout: 30_000 });
  await expect(bar).toHaveJSProperty('value', 100);
  await expect(page.getByTestId('batch-counts')).toHaveText('500 of 500 processed · 0 failed');
  await expect(page.locator('.page-heading [data-state]')).toHaveText('completed');
  await expect(page.getByTestId('delivery-counts').locator('[data-count="sent"] dd')).toHaveText('500');

  expect(await adminApi.operator.getBatch(batchId)).toMatchObject({ total: 500, processed: 500, failed: 0, status: 'completed', progress: 100 });
  copyForReadme(await saveScreenshot(page, testInfo, 'broadcast'));

  // An address from before broadcasts had their own page still leads there.
  await page.goto(`/broadcast?batch=${batchId}`);
  await expect(page).toHaveURL(new RegExp(`/broadcast/${batchId}$`));
  await page.getByRole('link', { name: 'Broadcasts', exact: true }).click();
  await expect(row).toHaveAttribute('data-status', 'completed');
  await expect(row.getByTestId('list-progress')).toHaveText('100%');
  await expect(row).toContainText('500 · 0 · 500');
});
