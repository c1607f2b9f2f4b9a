import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { HeldNotificationRepository } from './held-notification.repository';

describe('HeldNotificationRepository', () => {
  let db: RepositoryTestDatabase;
  let held: HeldNotificationRepository;
  let bob: string;
  let carol: string;
  let dave: string;
  let conversation: string;
  const wake = new Date('2030-01-02T07:00:00Z');
  const nextWake = new Date('2030-01-03T07:00:00Z');

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('held-notification-repository-spec');
    held = new HeldNotificationRepository(db.dataSource);
    [bob, carol, dave] = [await seedUser(db.dataSource, 'Bob'), await seedUser(db.dataSource, 'Carol'), await seedUser(db.dataSource, 'Dave')];
    conversation = await seedConversation(db.dataSource, [bob, carol, dave]);
  });
  afterAll(() => db?.close());

  async function hold(items: { messageId: string; channel?: 'push' | 'email'; wakeAt?: Date }[]): Promise<void> {
    const statement = held.holdStatement(items.map((i) => ({ userId: bob, channel: i.channel ?? 'push', messageId: i.messageId, wakeAt: i.wakeAt ?? wake })));
    if (statement) await db.dataSource.query(statement.sql, [...statement.params]);
  }

  it('holds an item once, lists count and senders of the unread ones only, and releases exactly once', async () => {
    expect(held.holdStatement([])).toBeUndefined();
    const fromCarol = await seedMessage(db.dataSource, conversation, carol, [bob, dave]);
    const fromDave = await seedMessage(db.dataSource, conversation, dave, [bob, carol]);
    const againCarol = await seedMessage(db.dataSource, conversation, carol, [bob, dave]);
    const read = await seedMessage(db.dataSource, conversation, dave, [bob, carol]);
    const tomorrow = await seedMessage(db.dataSource, conversation, carol, [bob, dave]);
    await hold([{ messageId: fromCarol }, { messageId: fromDave }, { messageId: againCarol }, { messageId: read }, { messageId: fromCarol }]);
    await hold([
      { messageId: tomorrow, wakeAt: nextWake },
      { messageId: fromCarol, channel: 'email' },
    ]);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read' WHERE message_id = $1 AND recipient_id = $2`, [read, bob]);

    const digest = await held.digest(bob, 'push', wake, 3);
    expect(digest).toEqual({ count: 3, held: 4, senders: ['Carol', 'Dave'], senderCount: 2, asOf: expect.any(Date) });
    expect((await held.digest(bob, 'push', wake, 1)).senders).toEqual(['Carol']);
    // Another user, another channel: their own.
    expect((await held.digest(carol, 'push', wake, 3)).held).toBe(0);
    expect((await held.digest(bob, 'email', wake, 3)).count).toBe(1);

    expect(await held.release(bob, 'push', wake, digest.asOf)).toBe(4);
    expect(await held.release(bob, 'push', wake, digest.asOf)).toBe(0);
    expect(await held.digest(bob, 'push', wake, 3)).toMatchObject({ count: 0, held: 0 });
    // The next period's item waits for its own wake, and the email one for its channel's digest.
    expect(await held.digest(bob, 'push', nextWake, 3)).toMatchObject({ count: 1, held: 1, senders: ['Carol'] });
    expect((await held.digest(bob, 'email', wake, 3)).held).toBe(1);
  });
});
