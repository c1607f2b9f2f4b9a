import { readFileSync } from 'node:fs';
import type { AuditEntry } from '@mq/messaging-contracts';
import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, test } from './support/fixtures';

test('the audit log filters by action family and exact action, links targets, and exports what it shows as CSV and JSON', async ({
  page,
  stack,
  adminApi,
}, testInfo) => {
  // Real operator actions: two users created, the cleanup queue paused and resumed.
  const made = await createUsers(stack, adminApi, 2, 'audited');
  await adminApi.operator.pauseQueue('message-cleanup');
  await adminApi.operator.resumeQueue('message-cleanup');

  await signInAsAdmin(page, stack, '/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const filters = page.getByRole('search', { name: 'Filter the audit log' });
  const rows = page.locator('table tbody tr');

  // A family: every row shown is a user action, the two new users among them.
  await filters.getByLabel('Action').fill('user.');
  await expect(rows.filter({ hasText: made[0]?.id as string })).toHaveCount(1);
  for (const action of await rows.locator('td:nth-child(3)').allTextContents()) expect(action).toMatch(/^user\./);

  // An exact action and a target: the one pause of the cleanup queue by this admin.
  await filters.getByLabel('Action').fill('queue.pause');
  await filters.getByLabel('Target').fill('message-cleanup');
  await expect(rows).not.toHaveCount(0);
  for (const action of await rows.locator('td:nth-child(3)').allTextContents()) expect(action).toBe('queue.pause');
  const shown = await rows.count();
  await expect(page.getByText('Loading…')).toHaveCount(0);
  copyForReadme(await saveScreenshot(page, testInfo, 'audit'));

  // The CSV export is the filtered log: its header, then one line per row shown.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
  const lines = readFileSync((await download.path()) as string, 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toBe('id,at,actor_id,action,target,count');
  expect(lines).toHaveLength(shown + 1);
  for (const line of lines.slice(1)) expect(line).toMatch(/^[0-9a-f-]{36},[^,]+,[0-9a-f-]{36},queue\.pause,message-cleanup,$/);

  // JSON: the same entries as the list answers for the same filters.
  const exported = (await (await page.request.get('/api/audit/export?format=json&action=queue.pause&target=message-cleanup')).json()) as AuditEntry[];
  const listed = (await (await page.request.get('/api/audit?action=queue.pause&target=message-cleanup&limit=500')).json()) as AuditEntry[];
  expect(exported).toEqual(listed);

  // A bad filter is the api's clear 400, not an empty list.
  const bad = await page.request.get('/api/audit?action=DROP%20TABLE');
  expect(bad.status()).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toMatch(/action must be an action name/);

  // A user entry's target leads to that user on the users page.
  await filters.getByRole('button', { name: 'Clear filters' }).click();
  await filters.getByLabel('Action').fill('user.create');
  await rows
    .filter({ hasText: made[1]?.id as string })
    .getByRole('link', { name: made[1]?.id as string })
    .first()
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await expect(page.locator('tr[data-user-id]')).toHaveCount(1);
  await expect(page.locator('tr[data-user-id]')).toContainText(made[1]?.email as string);
});
