import { expect, signInAsAdmin, test, worker } from './support/fixtures';

test('the dashboard shows the worker process alive, then lost once it is killed, and the Redis it runs on', async ({ page, stack }) => {
  await signInAsAdmin(page, stack);
  const panel = page.getByRole('region', { name: 'Workers', exact: true });
  const alive = panel.locator('tr[data-status="alive"]');
  await expect(alive).toHaveCount(1);
  await expect(alive).toContainText('message-delivery (10)');
  const killedId = (await alive.getAttribute('data-worker-id')) as string;
  const pid = Number(killedId.split(':')[1]);
  await expect(alive).toContainText(`· ${pid}`);

  const redis = page.getByRole('region', { name: 'Redis', exact: true });
  await expect(redis.locator('tr[data-redis-node]')).toHaveCount(1);
  await expect(redis).toContainText('single, 1 node');
  await expect(redis).toContainText('message-delivery');

  try {
    // kill -9: no shutdown hook removes it, so it stays listed, lost after three missed 1 s beats.
    await worker(stack, 'kill');
    const killed = panel.locator(`tr[data-worker-id="${killedId}"]`);
    await expect(killed).toHaveAttribute('data-status', 'lost');
    await expect(panel.getByRole('status')).toHaveText('0 alive, 1 lost.');
  } finally {
    await worker(stack, 'start');
  }
  // A new process beats under a new id; the lost one stays listed beside it.
  await expect(alive).toHaveCount(1);
  expect(await alive.getAttribute('data-worker-id')).not.toBe(killedId);
  await expect(panel.getByRole('status')).toHaveText('1 alive, 1 lost.');
});
