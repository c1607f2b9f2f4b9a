import { copyForReadme, expect, expectNoHorizontalOverflow, saveScreenshot, signInAsAdmin, test } from './support/fixtures';

// Runs last: the other files have made traffic, so the dashboard's charts have something to show.

const PAGES = ['/', '/queues/message-delivery', '/failed-deliveries', '/dead-letters', '/broadcast', '/schedules', '/users', '/audit', '/ledger'];

test('the dashboard after the run, at laptop width (the README screenshot)', async ({ page, stack }, testInfo) => {
  await signInAsAdmin(page, stack);
  await expect(page.locator('[data-live="socket"]')).toContainText('Live');
  await expect(page.locator('article[data-queue][data-state="ready"]')).toHaveCount(6);
  await expect(page.getByTestId('history-summary')).toBeVisible();
  await expect(page.getByRole('img', { name: /Completed and failed jobs/ })).toBeVisible();
  await expectNoHorizontalOverflow(page);
  copyForReadme(await saveScreenshot(page, testInfo, 'dashboard'));
});

for (const width of [1366, 768]) {
  test(`every console page fits a ${width} px wide window`, async ({ page, stack }, testInfo) => {
    await page.setViewportSize({ width, height: 900 });
    await signInAsAdmin(page, stack);
    for (const path of PAGES) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expect(page.getByText('Loading…')).toHaveCount(0);
      await expectNoHorizontalOverflow(page);
    }
    await page.goto('/');
    await expect(page.locator('article[data-queue][data-state="ready"]')).toHaveCount(6);
    if (width === 768) await saveScreenshot(page, testInfo, 'dashboard-tablet');

    // Keyboard: the skip link leads to the content.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.locator('#main')).toBeFocused();
  });
}
