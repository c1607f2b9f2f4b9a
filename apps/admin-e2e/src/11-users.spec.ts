import type { AuditEntry } from '@mq/messaging-contracts';
import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, signInToChat, test } from './support/fixtures';

test('an operator creates a parent on the users page, the parent chats with staff, and deactivating the parent cuts their socket at once', async ({
  page,
  browser,
  baseURL,
  stack,
  adminApi,
}, testInfo) => {
  const [teacher] = await createUsers(stack, adminApi, 1, 'teacher');
  if (!teacher) throw new Error('no teacher');
  const parent = { email: `parent-${Math.random().toString(36).slice(2, 8)}@e2e.test`, password: 'a-parent-password-1', displayName: 'Parent of Mia' };

  await signInAsAdmin(page, stack);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  const form = page.getByRole('region', { name: 'New user' });
  await form.getByLabel('Email').fill(parent.email);
  await form.getByLabel('Display name').fill(parent.displayName);
  await form.getByLabel('Role').selectOption('user');
  await form.getByLabel('Password').fill(parent.password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText(`Created ${parent.email}`);

  // Found by the search, active.
  await page.getByRole('searchbox', { name: 'Search users' }).fill(parent.email.slice(0, 12));
  const row = page.locator('tr[data-user-id]', { hasText: parent.email });
  await expect(row).toHaveCount(1);
  await expect(row.locator('[data-active]')).toHaveText('Active');
  const parentId = (await row.getAttribute('data-user-id')) as string;

  const parentContext = await browser.newContext({ baseURL });
  const teacherContext = await browser.newContext({ baseURL });
  try {
    const parentPage = await parentContext.newPage();
    const teacherPage = await teacherContext.newPage();
    await signInToChat(parentPage, { id: parentId, ...parent });
    await signInToChat(teacherPage, teacher);

    // Staff writes first; the parent answers; each sees the other's message live.
    await teacherPage.getByLabel('Start a conversation with (user id)').fill(parentId);
    await teacherPage.getByRole('button', { name: 'Start' }).click();
    const teacherComposer = teacherPage.getByRole('textbox', { name: 'Message', exact: true });
    await teacherComposer.fill('Mia did well in the hearing screening today.');
    await teacherComposer.press('Enter');
    await parentPage.locator('.conversation-button').click();
    await expect(parentPage.getByRole('log', { name: 'Messages' })).toContainText('hearing screening');
    const parentComposer = parentPage.getByRole('textbox', { name: 'Message', exact: true });
    await parentComposer.fill('Good to hear, thank you!');
    await parentComposer.press('Enter');
    await expect(teacherPage.getByRole('log', { name: 'Messages' })).toContainText('Good to hear, thank you!');

    // Deactivated from the console: the parent's live socket is cut on the spot, and stays down.
    await row.getByRole('button', { name: `Deactivate ${parent.email}` }).click();
    await expect(page.getByRole('status')).toContainText(`${parent.email} is deactivated`);
    await expect(row.locator('[data-active]')).toHaveText('Deactivated');
    await expect(parentPage.locator('[data-connection]')).not.toHaveAttribute('data-connection', 'connected');
    await expect(parentPage.locator('[data-connection]')).not.toHaveText('Connected');

    // Filtered by status, the parent is among the deactivated and not among the active.
    await page.getByLabel('Status').selectOption('true');
    await expect(row).toHaveCount(0);
    await page.getByLabel('Status').selectOption('false');
    await expect(row).toHaveCount(1);
    await page.getByLabel('Status').selectOption('');

    // Reactivated with a password reset: the new password, shown once, signs the parent in again.
    await row.getByRole('button', { name: `Reactivate ${parent.email}` }).click();
    await expect(page.getByRole('status')).toContainText(`${parent.email} is active again`);
    await row.getByRole('button', { name: `Reset password of ${parent.email}` }).click();
    const newPassword = (await page.getByTestId('one-time-password').textContent()) as string;
    expect(newPassword).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await page.getByRole('searchbox', { name: 'Search users' }).fill('');
    await expectScreenshot();
    const again = await parentContext.newPage();
    await signInToChat(again, { id: parentId, email: parent.email, password: newPassword });
  } finally {
    await parentContext.close();
    await teacherContext.close();
  }

  // Every action is in the audit log, by the admin, on the parent.
  const audit = (await (await page.request.get('/api/audit?limit=50')).json()) as AuditEntry[];
  const onParent = audit.filter((entry) => entry.target === parentId).map((entry) => entry.action);
  expect(onParent.sort()).toEqual(['user.create', 'user.password-reset', 'user.update', 'user.update']);

  async function expectScreenshot(): Promise<void> {
    await expect(page.getByText('Loading…')).toHaveCount(0);
    copyForReadme(await saveScreenshot(page, testInfo, 'users'));
  }
});
