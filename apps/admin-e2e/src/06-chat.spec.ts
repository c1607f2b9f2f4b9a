import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, signInToChat, test } from './support/fixtures';

test('two people chat on /chat: messages arrive live, and the sender sees the read tick', async ({ browser, baseURL, stack, adminApi }, testInfo) => {
  const [teacher, parent] = await createUsers(stack, adminApi, 2, 'chat');
  const teacherContext = await browser.newContext({ baseURL });
  const parentContext = await browser.newContext({ baseURL });
  try {
    const teacherPage = await teacherContext.newPage();
    const parentPage = await parentContext.newPage();
    await signInToChat(teacherPage, teacher);
    await signInToChat(parentPage, parent);

    // The teacher starts a direct conversation by the parent's user id and writes.
    await teacherPage.getByLabel('Start a conversation with (user id)').fill(parent.id);
    await teacherPage.getByRole('button', { name: 'Start' }).click();
    await expect(teacherPage.getByRole('log', { name: 'Messages' })).toContainText('No messages yet');
    const composer = teacherPage.getByRole('textbox', { name: 'Message', exact: true });
    await composer.fill('Your child has a mild fever, please call the school nurse.');
    await composer.press('Enter');
    const sent = teacherPage.locator('li[data-mine]', { hasText: 'mild fever' });
    await expect(sent).toBeVisible();
    await expect(sent.locator('.tick')).toHaveAttribute('data-status', /sent|delivered/);

    // The parent's list gains the conversation live; opening it shows the message, which is read.
    await expect(parentPage.locator('.conversation-button')).toHaveCount(1);
    await expect(parentPage.locator('.conversation-button')).toContainText('mild fever');
    await parentPage.locator('.conversation-button').click();
    await expect(parentPage.getByRole('log', { name: 'Messages' })).toContainText('Your child has a mild fever');

    // message:status read reaches the teacher: the tick turns to "Read".
    await expect(sent.locator('.tick')).toHaveAttribute('data-status', 'read');
    await expect(sent.locator('.tick')).toContainText('Read');

    // And the other way round, live.
    const reply = parentPage.getByRole('textbox', { name: 'Message', exact: true });
    await reply.fill('Thank you, calling now.');
    await parentPage.getByRole('button', { name: 'Send' }).click();
    await expect(teacherPage.getByRole('log', { name: 'Messages' })).toContainText('Thank you, calling now.');
    const answered = parentPage.locator('li[data-mine]', { hasText: 'calling now' });
    await expect(answered.locator('.tick')).toHaveAttribute('data-status', 'read');

    // Each message once, in order, on both sides.
    for (const page of [teacherPage, parentPage]) {
      await expect(page.locator('li[data-message-id]')).toHaveCount(2);
      await expect(page.locator('li[data-message-id] .message-content')).toHaveText([
        'Your child has a mild fever, please call the school nurse.',
        'Thank you, calling now.',
      ]);
    }
    // The receipts are what the api recorded.
    const messageId = (await sent.getAttribute('data-message-id')) as string;
    expect((await teacher.client.listDeliveries(messageId)).map((d) => d.status)).toEqual(['read']);
    copyForReadme(await saveScreenshot(parentPage, testInfo, 'chat'));
  } finally {
    await teacherContext.close();
    await parentContext.close();
  }
});

test("signing in to /chat in the operator's browser leaves the console session alone", async ({ page, context, stack, adminApi }) => {
  const [nurse] = await createUsers(stack, adminApi, 1, 'nurse');
  await signInAsAdmin(page, stack);
  const chat = await context.newPage();
  await signInToChat(chat, nurse);
  await chat.getByRole('button', { name: 'Sign out' }).click();
  await expect(chat.getByRole('heading', { level: 1, name: 'Chat sign-in' })).toBeVisible();

  // Same cookie jar, still the admin's session: the chat never touched it.
  const me = await page.request.get('/api/me');
  expect(me.status()).toBe(200);
  expect(((await me.json()) as { email: string }).email).toBe(stack.admin.email);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
});
