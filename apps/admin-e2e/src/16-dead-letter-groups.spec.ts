import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, test, worker } from './support/fixtures';

// A failure half-way must not leave the shared worker stopped (starting a running one is a no-op).
test.afterEach(async ({ stack }) => worker(stack, 'start'));

/*
 * Three messages to a group whose member leaves before the worker runs: each send fails
 * "no longer a participant" until its attempts are spent, so three dead letters with one cause
 * (the recipient's id differs per row in general; here the cause is the same text and frame).
 * The operator finds them as one group, replays it after fixing the cause (the member is added
 * back), then discards the group by mistake and undoes it.
 */
test('dead letters grouped by cause: replay a group after a dry-run count, discard it and undo', async ({ page, stack, adminApi }, testInfo) => {
  test.setTimeout(120_000);
  const [nurse, stays, leaves] = await createUsers(stack, adminApi, 3, 'grouped');
  const { body: group } = await nurse.client.createConversation({ type: 'group', participantIds: [stays.id, leaves.id], title: 'Trip' });

  await worker(stack, 'stop');
  const jobIds: string[] = [];
  const messageIds: string[] = [];
  for (const content of ['Coach leaves at 8', 'Bring a packed lunch', 'Sun cream please']) {
    const { body: sent } = await nurse.client.sendMessage({ conversationId: group.id, content });
    jobIds.push(sent.jobId);
    messageIds.push(sent.message.id);
  }
  await leaves.client.removeParticipant(group.id, leaves.id);
  await worker(stack, 'start');

  // Each retry waits out its backoff (2 s .. 16 s); promoting the delayed jobs runs them now.
  await expect
    .poll(
      async () => {
        await adminApi.operator.promoteDelayedJobs('message-delivery');
        return (await adminApi.operator.listDeadLetters({ limit: 200 })).filter((letter) => jobIds.includes(letter.jobId)).length;
      },
      { message: 'the three sends to dead-letter', timeout: 60_000, intervals: [500] },
    )
    .toBe(3);
  const ours = (await adminApi.operator.listDeadLetters({ limit: 200 })).filter((letter) => jobIds.includes(letter.jobId));
  const fingerprints = new Set(ours.map((letter) => letter.fingerprint));
  expect(fingerprints.size).toBe(1);
  const [fingerprint] = [...fingerprints];
  // Other tests' failures of the same cause (a recipient who left) are in this group too: that is the point of grouping.
  const cause = (await adminApi.operator.listDeadLetterGroups()).find((candidate) => candidate.fingerprint === fingerprint);
  if (!cause) throw new Error(`no group ${fingerprint}`);
  const { count, pending } = cause;
  expect(pending).toBeGreaterThanOrEqual(3);

  await signInAsAdmin(page, stack, '/dead-letters');
  await expect(page.getByRole('heading', { level: 1, name: 'Dead letters' })).toBeVisible();
  const row = page.locator(`tr[data-fingerprint="${fingerprint}"]`);
  await expect(row.getByTestId('group-count')).toHaveText(String(count));
  await expect(row).toContainText(`${pending} not replayed`);
  await expect(row.locator('td.reason')).toContainText('no longer a participant');
  await expect(row.locator('td.reason')).toContainText('<id>');

  // The group's own letters, and nothing of other causes.
  await row.getByRole('button', { name: 'Show letters' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Letters of the selected cause' })).toBeVisible();
  await expect(page.locator('tr[data-dead-letter-id]')).toHaveCount(count);
  for (const jobId of jobIds) await expect(page.locator('tr[data-dead-letter-id]', { hasText: jobId })).toHaveCount(1);
  await saveScreenshot(page, testInfo, 'dead-letters').then(copyForReadme);

  // Fix the cause, then replay the whole group: the dry run counts first, nothing changes until confirmed.
  await nurse.client.addParticipant(group.id, { userId: leaves.id });
  await row.getByRole('button', { name: 'Replay the send-message cause' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('dry-run-count')).toHaveText(String(pending));
  expect((await adminApi.operator.listDeadLetters({ fingerprint })).filter((letter) => letter.replayedAt === null)).toHaveLength(pending);
  await dialog.getByRole('button', { name: `Replay ${pending}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Replayed ${pending} dead letters of send-message.` })).toBeVisible();
  await expect(row).toContainText('0 not replayed');
  for (const jobId of jobIds) await expect(page.locator('tr[data-dead-letter-id]', { hasText: jobId })).toContainText(`as ${jobId}`);
  // The replays run now that the member is back: each delivery to them goes out.
  await expect
    .poll(
      async () => {
        const statuses = [];
        for (const messageId of messageIds) {
          statuses.push((await nurse.client.listDeliveries(messageId)).find((delivery) => delivery.recipientId === leaves.id)?.status);
        }
        return statuses;
      },
      { message: 'the replayed deliveries to go out', timeout: 30_000, intervals: [500] },
    )
    .toEqual(['sent', 'sent', 'sent']);

  // Discard the group (dry run first), then undo it from the notice.
  await row.getByRole('button', { name: 'Discard the send-message cause' }).click();
  await expect(dialog.getByTestId('dry-run-count')).toHaveText(String(count));
  await dialog.getByRole('button', { name: `Discard ${count}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Discarded ${count} dead letters.` })).toBeVisible();
  await expect(row).toHaveCount(0);
  expect(await adminApi.operator.listDeadLetters({ fingerprint })).toEqual([]);
  await page.getByRole('button', { name: `Undo discard of ${count}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `Restored ${count} dead letters.` })).toBeVisible();
  await expect(row.getByTestId('group-count')).toHaveText(String(count));
  expect(await adminApi.operator.listDeadLetters({ fingerprint })).toHaveLength(count);

  // Each bulk action is audited with its count.
  const audit = (await adminApi.operator.listAuditEntries({ limit: 200 })).filter((entry) => entry.target === fingerprint);
  expect(audit.map((entry) => [entry.action, entry.count]).sort()).toEqual([
    ['dead-letter.discard-group', count],
    ['dead-letter.replay-group', pending],
  ]);
  const restores = (await adminApi.operator.listAuditEntries({ limit: 200 })).filter((entry) => entry.action === 'dead-letter.restore');
  expect(restores.map((entry) => entry.count)).toEqual([count]);
});
