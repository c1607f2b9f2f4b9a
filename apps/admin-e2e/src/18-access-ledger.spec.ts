import { readFileSync } from 'node:fs';
import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, signInToChat, sql, test } from './support/fixtures';

/*
 * A parent reads a teacher's message on /chat; the operator opens the access ledger for the
 * teacher, finds the parent's read (when, how, from where), downloads it as CSV (audited), and
 * checks the hash chain.
 */
test('who read this person’s messages: the access ledger page, its CSV and the chain check', async ({ page, browser, baseURL, stack, adminApi }, testInfo) => {
  const [teacher, parent] = await createUsers(stack, adminApi, 2, 'ledger');
  const { body: conversation } = await teacher.client.createConversation({ type: 'direct', participantIds: [parent.id] });
  const sent = await teacher.client.sendMessage({ conversationId: conversation.id, content: 'Field trip forms are due on Friday.' });

  // The parent reads it in the product, in a browser of their own.
  const parentContext = await browser.newContext({ baseURL });
  try {
    const parentPage = await parentContext.newPage();
    await signInToChat(parentPage, parent);
    await parentPage.locator('.conversation-button').click();
    await expect(parentPage.getByRole('log', { name: 'Messages' })).toContainText('Field trip forms are due on Friday.');
  } finally {
    await parentContext.close();
  }

  // The operator picks the teacher and sees the parent among the readers.
  await signInAsAdmin(page, stack, '/ledger');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access ledger');
  await page.getByRole('searchbox', { name: 'Person whose messages' }).fill(teacher.email);
  await page.getByRole('button', { name: `${teacher.displayName} (${teacher.email})` }).click();
  const region = page.getByRole('region', { name: `Who read ${teacher.displayName} (${teacher.email})’s messages` });
  const reads = region.locator(`tbody tr[data-actor-id="${parent.id}"]`);
  await expect(reads.first()).toBeVisible();
  // Opening the chat lists the conversation (its last message) and loads its history: each a row.
  const fromApi = await adminApi.operator.listLedgerAccesses({ subjectId: teacher.id });
  await expect(region.locator('tbody tr')).toHaveCount(fromApi.accesses.length);
  expect(fromApi.accesses.every((a) => a.actorId === parent.id && a.messageIds.includes(sent.body.message.id))).toBe(true);
  await expect(reads.first().getByRole('cell').nth(3)).toContainText(conversation.id.slice(0, 8));
  await expect(reads.first().getByRole('cell').nth(5)).toContainText(/127\.0\.0\.1|::1/);

  // The CSV is the same list; downloading it is itself audited.
  const [download] = await Promise.all([page.waitForEvent('download'), region.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^accesses-.*\.csv$/);
  const lines = readFileSync((await download.path()) as string, 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toBe('seq,at,actor_id,subject_ids,via,conversation_ids,message_count,message_ids,ip,user_agent');
  expect(lines.slice(1).map((line) => line.split(',').slice(0, 6))).toEqual(
    fromApi.accesses.map((a) => [a.seq, a.at, parent.id, teacher.id, a.via, conversation.id]),
  );
  for (const line of lines.slice(1)) expect(line).toContain(sent.body.message.id);
  const audited = await sql<{ target: string }>(stack, `SELECT target FROM audit_log WHERE action = 'ledger.export' AND target = $1`, [teacher.id]);
  expect(audited).toEqual([{ target: teacher.id }]);

  // The chain holds.
  await page.getByRole('button', { name: 'Verify' }).click();
  const verdict = page.getByTestId('ledger-verify');
  await expect(verdict).toHaveAttribute('data-ok', 'true');
  await expect(verdict).toContainText(/^OK: [\d,]+ rows checked, the chain is intact\.$/);
  copyForReadme(await saveScreenshot(page, testInfo, 'access-ledger'));
});
