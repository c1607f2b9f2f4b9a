import { MessagingClient } from '@mq/messaging-client';
import { cardCounts, expect, signInAsAdmin, signInToChat, stackInfo, startFirstRun, stopFirstRun, test } from './support/fixtures';
import type { DemoPerson, FirstRunInfo } from './support/stack-protocol';

/*
 * What a person gets from a first `npm start`: an empty database with DEMO_DATA on. The stack host
 * starts a second system for it (its own database, queue prefix, api, worker and console), so the
 * shared one keeps no demo data for the other tests. The logins are the roster the api seeds from.
 */
let firstRun: FirstRunInfo;

// Playwright's hooks get no test fixtures: the host's address comes from the environment.
test.beforeAll(async () => {
  firstRun = await startFirstRun(stackInfo());
});
test.afterAll(async () => stopFirstRun(stackInfo()));

function demoPerson(match: (person: DemoPerson) => boolean): DemoPerson {
  const person = firstRun.demo.users.find(match);
  if (!person) throw new Error('the demo roster lacks a person this test needs');
  return person;
}

const office = () => demoPerson((p) => p.kind === 'console' && p.role === 'admin');

async function apiAs(person: DemoPerson): Promise<{ client: MessagingClient; id: string }> {
  const client = new MessagingClient({ baseUrl: firstRun.apiUrl, timeoutMs: 15_000 });
  const { user } = await client.login({ email: person.email, password: firstRun.demo.password });
  return { client, id: user.id };
}

test('the demo admin signs in and the dashboard shows demo traffic within 30 s, and the finished broadcast', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: firstRun.consoleUrl });
  try {
    const page = await context.newPage();
    await signInAsAdmin(page, { admin: { email: office().email, password: firstRun.demo.password } });
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await expect(page.locator('[data-live="socket"]')).toContainText('Live');

    // Sends the worker completed, and more of them as the trickle goes on (seeding alone stops growing).
    const completed = async () => (await cardCounts(page, 'message-delivery'))['completed'] ?? 0;
    await expect.poll(completed, { message: 'completed deliveries on the message-delivery card', timeout: 30_000 }).toBeGreaterThan(0);
    const seen = await completed();
    await expect.poll(completed, { message: 'the count rising with the demo traffic', timeout: 15_000 }).toBeGreaterThan(seen);

    // The throughput chart has points above zero: the history is fetched when the page loads.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('history-summary')).toHaveText(/all queues: [1-9][\d,]* completed/, { timeout: 5_000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.getByRole('img', { name: /Completed and failed jobs, last hour/ })).toBeVisible();

    // The headline, from what the workers measured: messages/s and the devices' send -> receive times.
    await expect(page.getByTestId('traffic-rate')).not.toHaveText('0');
    await expect(page.getByTestId('traffic-p50')).toHaveText(/^\d[\d.,]* m?s$/);
    await expect(page.getByTestId('traffic-p99')).toHaveText(/^\d[\d.,]* m?s$/);

    // The office's broadcast, fanned out by the worker to every chat user.
    await page.goto('/broadcast');
    const broadcasts = page.getByRole('region', { name: 'Broadcasts' }).locator('tr[data-batch-id]');
    await expect(broadcasts).toHaveCount(1);
    await expect(broadcasts).toHaveAttribute('data-status', 'completed');
    await expect(broadcasts.getByTestId('list-progress')).toHaveText('100%');
  } finally {
    await context.close();
  }
});

test('a demo parent signs in on /chat and finds the conversation history', async ({ browser }) => {
  const parent = demoPerson((p) => p.kind === 'parent');
  const { client, id } = await apiAs(parent);
  // A conversation with staff from the seeding (the broadcast one holds a single message).
  const direct = (await client.listConversations()).find((c) => c.type === 'direct');
  expect(direct, 'the parent has a direct conversation').toBeDefined();
  const context = await browser.newContext({ baseURL: firstRun.consoleUrl });
  try {
    const page = await context.newPage();
    await signInToChat(page, { id, email: parent.email, password: firstRun.demo.password });
    await expect
      .poll(() => page.locator('.conversation-button').count(), { message: 'the conversations from before they signed in' })
      .toBeGreaterThanOrEqual(2);
    await page.locator(`.conversation-button[data-conversation-id="${direct?.id}"]`).click();
    const messages = page.getByRole('log', { name: 'Messages' }).locator('li[data-message-id]');
    await expect.poll(() => messages.count(), { message: 'a history of several messages' }).toBeGreaterThanOrEqual(3);
    // Written by them and to them.
    await expect(messages.and(page.locator('[data-mine]')).first()).toBeVisible();
    await expect(messages.and(page.locator(':not([data-mine])')).first()).toBeVisible();
  } finally {
    await context.close();
  }
});

test("the demo's failed delivery and dead letter are the worker's own: a message to a deactivated parent", async () => {
  const admin = (await apiAs(office())).client;
  // The leaver cannot sign in: the office deactivated the account before the nurse wrote to it.
  const leaver = demoPerson((p) => p.kind === 'leaver');
  await expect(apiAs(leaver)).rejects.toThrow();
  // Each retry waits out its backoff (2 s .. 30 s); promoting the delayed retry runs it now, as an operator could.
  await expect
    .poll(
      async () => {
        await admin.operator.promoteDelayedJobs('message-delivery');
        return (await admin.operator.listFailedDeliveries({ limit: 50 })).deliveries.map((d) => ({ attempts: d.attempts, reason: d.failureReason }));
      },
      { message: 'the delivery to the deactivated parent to fail for good', timeout: 30_000, intervals: [500] },
    )
    .toEqual([{ attempts: 5, reason: expect.stringContaining('recipient account is inactive') }]);
  await expect
    .poll(async () => (await admin.operator.listDeadLetters()).map((d) => ({ job: d.jobName, attempts: d.attemptsMade, reason: d.failedReason })), {
      message: 'its dead letter',
    })
    .toEqual([{ job: 'send-message', attempts: 5, reason: expect.stringContaining('recipient account is inactive') }]);
});
