import type { RealtimeConnection } from '@mq/messaging-client';
import { copyForReadme, createUsers, expect, saveScreenshot, signInAsAdmin, test, worker } from './support/fixtures';

const sockets: RealtimeConnection[] = [];
test.afterAll(() => sockets.forEach((socket) => socket.disconnect()));

test('a delivery that failed for a real cause is found, retried from the console after the fix, and turns delivered', async ({
  page,
  stack,
  adminApi,
}, testInfo) => {
  test.setTimeout(120_000);
  const [teacher, parent, nurse] = await createUsers(stack, adminApi, 3, 'trip');
  const { body: group } = await teacher.client.createConversation({ type: 'group', participantIds: [parent.id, nurse.id], title: 'Trip' });
  // The parent's app is online and acknowledges what it receives.
  const parentSocket = parent.client.connect({ autoAckDelivered: true });
  sockets.push(parentSocket);
  await parentSocket.ready();

  // The worker is down while the message waits; meanwhile the parent leaves the group.
  await worker(stack, 'stop');
  const sent = await teacher.client.sendMessage({ conversationId: group.id, content: 'Coach leaves at 8' });
  const messageId = sent.body.message.id;
  await adminApi.removeParticipant(group.id, parent.id);
  await worker(stack, 'start');

  // Every attempt fails for the parent (5, backing off 2 s .. 16 s), then the delivery is failed.
  await expect
    .poll(
      async () =>
        (await adminApi.operator.listFailedDeliveries({ limit: 50 })).deliveries.some((d) => d.messageId === messageId && d.recipientId === parent.id),
      {
        message: 'the failed delivery',
        timeout: 70_000,
        intervals: [1_000],
      },
    )
    .toBe(true);

  await signInAsAdmin(page, stack, '/failed-deliveries');
  await expect(page.getByRole('heading', { level: 1, name: 'Failed deliveries' })).toBeVisible();
  // Found by its cause: every delivery that failed the same way is one group, which lists them below.
  const cause = page.locator('tr[data-delivery-cause="recipient is no longer a participant of the conversation"]');
  await expect(cause).toHaveCount(1);
  await expect(cause.getByTestId('cause-count')).toHaveText(/^[1-9]/);
  await cause.getByRole('button', { name: /^Show the deliveries that failed/ }).click();
  await expect(page.getByLabel('Reason contains')).toHaveValue(/no longer a participant/);
  const row = page.locator(`tr[data-message-id="${messageId}"][data-recipient-id="${parent.id}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText('recipient is no longer a participant of the conversation');
  await expect(row.getByRole('cell').nth(5)).toHaveText('5');

  // Its job: five attempts, each with its stack trace; and the message's story.
  await row.getByRole('link', { name: sent.body.jobId }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(sent.body.jobId);
  await expect(page.getByTestId('job-attempts')).toHaveText('5 of 5');
  // From the job's history in Postgres: each attempt with its worker process, error and stack.
  const attempts = page.getByTestId('job-history').locator('tbody tr');
  await expect(attempts).toHaveCount(5);
  await expect(attempts.and(page.locator('[data-kind="attempt-failed"]'))).toHaveCount(4);
  await expect(attempts.last()).toHaveAttribute('data-kind', 'failed');
  await expect(attempts.first().locator('td.mono')).toHaveText(/^[^:]+:\d+$/);
  await attempts.first().locator('summary').click();
  await expect(attempts.first().locator('pre.stack')).toContainText('no longer a participant');
  await expect(page.locator('pre.code-block').first()).not.toContainText('Coach leaves');
  await page.getByRole('link', { name: `Timeline of message ${messageId}` }).click();
  await expect(page.locator('.timeline [data-kind="failed"]').first()).toBeVisible();
  await expect(page.locator(`tr[data-recipient-id="${parent.id}"]`)).toContainText('failed');

  // The search box finds the job by the message id.
  await page.getByRole('searchbox', { name: 'Search jobs and messages' }).fill(messageId);
  await page.getByRole('searchbox', { name: 'Search jobs and messages' }).press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
  await expect(page.getByRole('link', { name: sent.body.jobId })).toBeVisible();
  await expect(page.getByRole('link', { name: `open the timeline of message ${messageId}` })).toBeVisible();

  // The dead letter is listed too.
  await page.getByRole('link', { name: 'Dead letters' }).click();
  await expect(page.locator('tr[data-dead-letter-id]', { hasText: sent.body.jobId })).toBeVisible();

  // Fix the cause, then retry from the console and watch it turn delivered.
  await adminApi.addParticipant(group.id, { userId: parent.id });
  await page.getByRole('link', { name: 'Failed deliveries' }).click();
  await expect(row).toBeVisible();
  await row.getByRole('checkbox').check();
  copyForReadme(await saveScreenshot(page, testInfo, 'failed-deliveries'));
  await page.getByRole('button', { name: 'Retry selected (1)' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Retried 1 message' })).toBeVisible();
  const retried = page.locator(`[data-testid="retried-message"][data-message-id="${messageId}"]`);
  await expect(retried.locator(`tr[data-recipient-id="${parent.id}"] [data-state]`)).toHaveText('delivered', { timeout: 30_000 });
  await expect(row).toHaveCount(0);
  expect((await adminApi.listDeliveries(messageId)).find((d) => d.recipientId === parent.id)?.status).toBe('delivered');

  await saveScreenshot(page, testInfo, 'failed-deliveries-retried');
});
