import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, sql, test, worker } from './support/fixtures';

const CONTENT = 'Inhaler is in the office';
const REASON = 'Cannot decrypt message';

// A failure half-way must not leave the shared worker stopped (starting a running one is a no-op).
test.afterEach(async ({ stack }) => worker(stack, 'start'));

/*
 * The cause here is one the delivery processor cannot record itself: the message's ciphertext is
 * damaged, every attempt throws while decrypting and the processor's transaction rolls back. Only
 * the worker's DeadLetterRecorder writes the deliveries' failure; this checks the console shows it
 * like any other failure, and what an operator can do about content that can never be read.
 */
test('a delivery that failed for good on content that cannot be decrypted is shown failed and handled from the console', async ({
  page,
  stack,
  adminApi,
}, testInfo) => {
  test.setTimeout(120_000);
  const [nurse, parent] = await createUsers(stack, adminApi, 2, 'decrypt');
  const { body: direct } = await nurse.client.createConversation({ type: 'direct', participantIds: [parent.id] });

  // The job waits while the worker is down; meanwhile the message's auth tag is flipped in Postgres.
  await worker(stack, 'stop');
  const { body: sent } = await nurse.client.sendMessage({ conversationId: direct.id, content: CONTENT });
  const messageId = sent.message.id;
  const jobId = sent.jobId;
  const damaged = await sql(stack, `UPDATE messages SET auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 1) WHERE id = $1 RETURNING id`, [messageId]);
  expect(damaged).toHaveLength(1);
  await worker(stack, 'start');

  // Each retry waits out its backoff (2 s .. 16 s); promoting the delayed job runs it now.
  await expect
    .poll(
      async () => {
        await adminApi.operator.promoteDelayedJobs('message-delivery');
        return (await adminApi.operator.listFailedDeliveries({ limit: 50 })).deliveries.filter((d) => d.messageId === messageId);
      },
      { message: 'the delivery to fail for good', timeout: 30_000, intervals: [500] },
    )
    .toEqual([expect.objectContaining({ recipientId: parent.id, attempts: 5, jobId, failureReason: expect.stringContaining(REASON) })]);

  // Found by its reason, with its five attempts.
  await signInAsAdmin(page, stack, '/failed-deliveries');
  await expect(page.getByRole('heading', { level: 1, name: 'Failed deliveries' })).toBeVisible();
  await page.getByLabel('Queue').selectOption('message-delivery');
  await page.getByLabel('Reason contains').fill('Cannot decrypt');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const row = page.locator(`tr[data-message-id="${messageId}"][data-recipient-id="${parent.id}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('td.reason')).toContainText(`${REASON} ${messageId}: authentication failed`);
  await expect(row.getByRole('cell').nth(5)).toHaveText('5');
  await expect(page.locator('body')).not.toContainText(CONTENT);
  await saveScreenshot(page, testInfo, 'failed-for-good');

  // Its job: failed after five attempts, each with the decryption error, and ids only in its data.
  await row.getByRole('link', { name: jobId }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(jobId);
  await expect(page.locator('.page-heading [data-state]')).toHaveText('failed');
  await expect(page.getByTestId('job-attempts')).toHaveText('5 of 5');
  // From the job's history in Postgres: each attempt with its worker process, error and stack.
  const attempts = page.getByTestId('job-history').locator('tbody tr');
  await expect(attempts).toHaveCount(5);
  await expect(attempts.and(page.locator('[data-kind="attempt-failed"]'))).toHaveCount(4);
  await expect(attempts.last()).toHaveAttribute('data-kind', 'failed');
  await expect(attempts.last().locator('td.mono')).toHaveText(/^[^:]+:\d+$/);
  await attempts.last().locator('summary').click();
  await expect(attempts.last().locator('pre.stack')).toContainText(REASON);
  await expect(page.locator('pre.code-block').first()).toContainText(messageId);
  await expect(page.locator('body')).not.toContainText(CONTENT);
  copyForReadme(await saveScreenshot(page, testInfo, 'job'));

  // The message's story: the delivery failed (written by the recorder), the job dead-lettered.
  await page.getByRole('link', { name: `Timeline of message ${messageId}` }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(messageId);
  const delivery = page.locator(`table[data-message-id="${messageId}"] tr[data-recipient-id="${parent.id}"]`);
  await expect(delivery.locator('[data-state]')).toHaveText('failed');
  await expect(delivery.locator('td.reason')).toContainText(REASON);
  const failedEvents = page.locator('.timeline [data-kind="failed"]');
  await expect(failedEvents.filter({ hasText: `delivery to ${parent.id} failed: ${REASON}` })).toHaveCount(1);
  await expect(failedEvents.filter({ hasText: `${jobId} dead-lettered: ${REASON}` })).toHaveCount(1);
  await expect(page.locator('body')).not.toContainText(CONTENT);
  copyForReadme(await saveScreenshot(page, testInfo, 'timeline'));

  // The dead letter, with the same reason and a link back to the message.
  await page.getByRole('link', { name: 'Dead letters' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dead letters' })).toBeVisible();
  const letters = page.locator('tr[data-dead-letter-id]', { hasText: jobId });
  await expect(letters).toHaveCount(1);
  await expect(letters.locator('td.reason')).toContainText(REASON);
  await expect(letters.getByRole('cell').nth(3)).toHaveText('5');
  await expect(letters.getByRole('link', { name: messageId })).toBeVisible();
  await expect(page.locator('body')).not.toContainText(CONTENT);

  // Retrying from the console runs the same job again in place; with no attempts left and content
  // still unreadable it fails for good at once, and the delivery stays failed with its reason.
  await page.getByRole('link', { name: 'Failed deliveries' }).click();
  await page.getByLabel('Reason contains').fill('Cannot decrypt');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await row.getByRole('checkbox').check();
  const retryAnswer = page.waitForResponse((r) => r.url().endsWith('/api/deliveries/retry') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Retry selected (1)' }).click();
  expect(await (await retryAnswer).json()).toEqual({ retried: 1, jobIds: [jobId] });
  await expect(page.getByRole('status').filter({ hasText: 'Retried 1 message' })).toBeVisible();
  await expect
    .poll(async () => (await adminApi.operator.listDeadLetters({ limit: 100 })).filter((d) => d.jobId === jobId).map((d) => d.failedReason), {
      message: 'the retried job dead-lettered again',
      timeout: 30_000,
      intervals: [500],
    })
    .toEqual([expect.stringContaining(REASON), expect.stringContaining(REASON)]);
  const retried = page.locator(`[data-testid="retried-message"][data-message-id="${messageId}"]`);
  await expect(retried.locator(`tr[data-recipient-id="${parent.id}"] [data-state]`)).toHaveText('failed');
  await expect(retried.locator(`tr[data-recipient-id="${parent.id}"] td.reason`)).toContainText(REASON);
  await expect(row).toBeVisible();

  // The timeline tells the operator's retry and the second failure apart from the first.
  await retried.getByRole('link', { name: messageId }).click();
  await expect(page.locator('.timeline [data-kind="retried"]').filter({ hasText: `${jobId} retried by an operator` })).toHaveCount(1);
  await expect(page.locator('.timeline [data-kind="failed"]').filter({ hasText: `${jobId} dead-lettered: ${REASON}` })).toHaveCount(2);
  await expect(page.locator(`table[data-message-id="${messageId}"] tr[data-recipient-id="${parent.id}"] [data-state]`)).toHaveText('failed');

  // Nothing to fix and nothing to replay: the operator discards both dead letters.
  await page.getByRole('link', { name: 'Dead letters' }).click();
  await expect(letters).toHaveCount(2);
  for (const left of [1, 0]) {
    await letters
      .first()
      .getByRole('button', { name: `Discard ${jobId}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Discard this dead letter?' });
    await expect(dialog).toContainText(jobId);
    await dialog.getByRole('button', { name: 'Discard', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: `Discarded the dead letter of ${jobId}.` })).toBeVisible();
    await expect(letters).toHaveCount(left);
  }
  expect((await adminApi.operator.listDeadLetters({ limit: 100 })).filter((d) => d.jobId === jobId)).toEqual([]);
  // Discarding forgets the job's record only: the delivery is still failed, and nothing was sent.
  expect(await adminApi.listDeliveries(messageId)).toEqual([
    expect.objectContaining({ recipientId: parent.id, status: 'failed', sentAt: null, failureReason: expect.stringContaining(REASON) }),
  ]);
});
