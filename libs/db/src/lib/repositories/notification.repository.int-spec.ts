import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedUser } from '../../testing';
import { NotificationRepository } from './notification.repository';

describe('NotificationRepository', () => {
  let db: RepositoryTestDatabase;
  let notifications: NotificationRepository;
  let bob: string;
  let carol: string;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('notification-repository-spec');
    notifications = new NotificationRepository(db.dataSource);
    [bob, carol] = [await seedUser(db.dataSource, 'Bob'), await seedUser(db.dataSource, 'Carol')];
    for (const [i, user] of [bob, bob, bob, carol].entries()) {
      const [row]: { id: string }[] = await db.dataSource.query(
        `INSERT INTO notifications (user_id, channel, status, title, body, dedupe_key, created_at)
         VALUES ($1, 'in_app', 'sent', $2, 'from Sender', $3, now() - make_interval(mins => $4)) RETURNING id`,
        [user, `Title ${i}`, `key-${i}`, 10 - i],
      );
      ids.push((row as { id: string }).id);
    }
  });
  afterAll(() => db?.close());

  it('lists a user’s own notifications newest first, within the limit', async () => {
    const listed = await notifications.listForUser(bob, { unreadOnly: false, limit: 10 });
    expect(listed.map((n) => n.title)).toEqual(['Title 2', 'Title 1', 'Title 0']);
    expect(listed[0]).toEqual({ id: ids[2], channel: 'in_app', status: 'sent', title: 'Title 2', body: 'from Sender', messageId: null, createdAt: expect.any(String), readAt: null });
    expect(await notifications.listForUser(bob, { unreadOnly: false, limit: 1 })).toEqual([listed[0]]);
  });

  it('marks read only the user’s own, keeping the first read time', async () => {
    expect(await notifications.markRead(ids[1] as string, carol)).toBe(false);
    expect(await notifications.markRead(randomUUID(), bob)).toBe(false);
    expect(await notifications.markRead(ids[1] as string, bob)).toBe(true);
    const [first] = (await notifications.listForUser(bob, { unreadOnly: false, limit: 10 })).filter((n) => n.id === ids[1]);
    expect(first?.readAt).toEqual(expect.any(String));
    expect(await notifications.markRead(ids[1] as string, bob)).toBe(true);
    const [again] = (await notifications.listForUser(bob, { unreadOnly: false, limit: 10 })).filter((n) => n.id === ids[1]);
    expect(again?.readAt).toBe(first?.readAt);
    expect((await notifications.listForUser(bob, { unreadOnly: true, limit: 10 })).map((n) => n.title)).toEqual(['Title 2', 'Title 0']);
  });
});
