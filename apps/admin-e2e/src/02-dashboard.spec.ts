import { cardCounts, createUsers, expect, QUEUES, signInAsAdmin, test } from './support/fixtures';

test('six queue cards show what GET /queue/metrics says, and change live within 3 s when jobs are added', async ({ page, stack, adminApi }) => {
  const [alice, bob] = await createUsers(stack, adminApi, 2, 'dash');
  const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });

  await signInAsAdmin(page, stack);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const cards = page.locator('article[data-queue]');
  await expect(cards).toHaveCount(6);
  for (const queue of QUEUES) {
    await expect(page.getByRole('article', { name: queue })).toBeVisible();
  }
  // The /admin socket is up (same origin, through the console's proxy, session cookie).
  await expect(page.locator('[data-live="socket"]')).toContainText('Live');

  // Every number of every card equals the api's (the system is quiet: nothing changes meanwhile).
  await expect
    .poll(
      async () => {
        const api = await adminApi.operator.getQueueMetrics();
        const shown = Object.fromEntries(await Promise.all(QUEUES.map(async (queue) => [queue, await cardCounts(page, queue)] as const)));
        return JSON.stringify(shown) === JSON.stringify(Object.fromEntries(QUEUES.map((queue) => [queue, api.queues[queue]])));
      },
      { message: 'cards equal GET /queue/metrics', timeout: 10_000 },
    )
    .toBe(true);
  // Health and failure rate from /queue/health on each card.
  for (const queue of QUEUES) {
    const card = page.getByRole('article', { name: queue });
    await expect(card.locator('[data-health]')).toHaveText(/Healthy|Degraded|Unhealthy/);
    await expect(card.locator('[data-failure-rate]')).toHaveText(/%$/);
  }

  // Jobs added through the api: scheduled sends become delayed jobs of message-delivery.
  const before = await cardCounts(page, 'message-delivery');
  const polled: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/queue/metrics') polled.push(request.url());
  });
  const sendAt = new Date(Date.now() + 3_600_000).toISOString();
  for (let i = 0; i < 3; i++) {
    await alice.client.sendMessage({ conversationId: conversation.id, content: `see you at the trip meeting ${i}`, sendAt });
  }
  const delayed = page.getByRole('article', { name: 'message-delivery' }).locator('[data-count="delayed"] dd');
  await expect(delayed).toHaveText(String(before['delayed'] + 3), { timeout: 3_000 });
  expect((await adminApi.operator.getQueueMetrics()).queues['message-delivery'].delayed).toBe(before['delayed'] + 3);
  // It came over the socket: the dashboard did not poll meanwhile.
  expect(polled).toEqual([]);

  // Charts of the worker's samples, and the alerts.
  await expect(page.getByRole('img', { name: /Completed and failed jobs, last hour/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Backlog \(waiting jobs\), last hour/ })).toBeVisible();
  await page.getByRole('button', { name: 'Last 24 hours' }).click();
  await expect(page.getByRole('img', { name: /Completed and failed jobs, last 24 hours/ })).toBeVisible();
  const alerts = page.getByRole('region', { name: 'Open alerts' });
  await expect(alerts.getByRole('status')).toHaveText(/^(None|\d+) open\.$/);
});

test('with the live socket refused, the dashboard falls back to polling', async ({ page, stack, adminApi }) => {
  // A browser that cannot open /socket.io (a proxy in between that drops it) still gets numbers.
  // Both transports: long-polling requests and a websocket upgrade (page.route alone never sees the latter).
  await page.route(/\/socket\.io\//, (route) => route.abort());
  await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close());
  await signInAsAdmin(page, stack);
  await expect(page.locator('[data-live="polling"]')).toContainText('refreshing every 2 seconds');
  const [carol, dave] = await createUsers(stack, adminApi, 2, 'poll');
  const { body: conversation } = await carol.client.createConversation({ type: 'direct', participantIds: [dave.id] });
  const before = await cardCounts(page, 'message-delivery');
  await carol.client.sendMessage({ conversationId: conversation.id, content: 'a reminder for later', sendAt: new Date(Date.now() + 3_600_000).toISOString() });
  await expect(page.getByRole('article', { name: 'message-delivery' }).locator('[data-count="delayed"] dd')).toHaveText(String(before['delayed'] + 1), {
    timeout: 3_000,
  });
});
