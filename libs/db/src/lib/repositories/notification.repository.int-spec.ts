import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
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
    expect(listed[0]).toEqual({
      id: ids[2],
      channel: 'in_app',
      status: 'sent',
      title: 'Title 2',
      body: 'from Sender',
      messageId: null,
      createdAt: expect.any(String),
      readAt: null,
    });
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

  it('opens one row per dedupe key: a rerun counts an attempt and finds how it ended', async () => {
    const draft = {
      userId: carol,
      messageId: null,
      channel: 'email' as const,
      title: 'New message from Bob',
      body: 'Open the app to read it.',
      dedupeKey: 'notify:1',
    };
    const opened = await notifications.open(draft);
    expect(opened).toEqual({ id: expect.any(String), status: 'pending' });
    await notifications.noteError(opened.id, 'provider circuit open');
    await notifications.markUnsent(opened.id, 'failed', 'SMTP 451');
    expect(await notifications.open(draft)).toEqual({ id: opened.id, status: 'failed' });
    await notifications.markSent(opened.id);
    expect(await notifications.open(draft)).toEqual({ id: opened.id, status: 'sent' });
    const [row]: { attempts: number; error: string | null; sent_at: Date | null }[] = await db.dataSource.query(
      `SELECT attempts, error, sent_at FROM notifications WHERE id = $1`,
      [opened.id],
    );
    expect(row).toEqual({ attempts: 3, error: null, sent_at: expect.any(Date) });
    const skipped = await notifications.open({ ...draft, dedupeKey: 'notify:2' });
    await notifications.markUnsent(skipped.id, 'skipped', 'email is switched off');
    expect(await notifications.open({ ...draft, dedupeKey: 'notify:2' })).toEqual({ id: skipped.id, status: 'skipped' });
  });

  it('says who wrote a message and where, and whether the recipient read it', async () => {
    const conversation = await seedConversation(db.dataSource, [bob, carol]);
    await db.dataSource.query(`UPDATE conversations SET title = 'Year 5' WHERE id = $1`, [conversation]);
    const message = await seedMessage(db.dataSource, conversation, bob, [carol]);
    expect(await notifications.notifiedMessage(message, carol)).toEqual({
      conversationId: conversation,
      conversationTitle: 'Year 5',
      sender: 'Bob',
      deleted: false,
      deliveryStatus: 'queued',
    });
    expect((await notifications.notifiedMessage(message, bob))?.deliveryStatus).toBeNull();
    expect(await notifications.notifiedMessage(randomUUID(), carol)).toBeUndefined();
  });

  it('counts what is still unread in a conversation from a message on, and in a window', async () => {
    const unreadElsewhere = await notifications.unreadCountBetween(carol, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000), 100);
    const conversation = await seedConversation(db.dataSource, [bob, carol]);
    const before = await seedMessage(db.dataSource, conversation, bob, [carol]);
    const first = await seedMessage(db.dataSource, conversation, bob, [carol]);
    const second = await seedMessage(db.dataSource, conversation, bob, [carol]);
    const soon = new Date(Date.now() + 60_000);
    expect(await notifications.unreadRun(conversation, carol, first, soon, 100)).toEqual({
      count: 2,
      firstMessageId: first,
      firstSender: 'Bob',
      conversationTitle: null,
    });
    // Counted up to the cap, from the first on.
    expect(await notifications.unreadRun(conversation, carol, first, soon, 1)).toEqual({
      count: 1,
      firstMessageId: first,
      firstSender: 'Bob',
      conversationTitle: null,
    });
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read' WHERE message_id = $1`, [first]);
    expect(await notifications.unreadRun(conversation, carol, first, soon, 100)).toMatchObject({ count: 1, firstMessageId: second });
    await db.dataSource.query(`UPDATE messages SET deleted_at = now() WHERE id = $1`, [second]);
    expect(await notifications.unreadRun(conversation, carol, first, soon, 100)).toBeUndefined();
    expect(await notifications.unreadRun(conversation, carol, first, new Date(Date.now() - 60_000), 100)).toBeUndefined();

    // In the window: before (unread), first (read), second (deleted): one unread.
    const hourAgo = new Date(Date.now() - 3_600_000);
    expect(await notifications.unreadCountBetween(carol, hourAgo, soon, 100)).toBe(1 + unreadElsewhere);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read' WHERE message_id = $1`, [before]);
    expect(await notifications.unreadCountBetween(carol, hourAgo, soon, 100)).toBe(unreadElsewhere);
    expect(await notifications.unreadCountBetween(carol, soon, new Date(Date.now() + 120_000), 100)).toBe(0);
    await seedMessage(db.dataSource, conversation, bob, [carol]);
    await seedMessage(db.dataSource, conversation, bob, [carol]);
    expect(await notifications.unreadCountBetween(carol, hourAgo, soon, 1)).toBe(1);
  });

  it('records what a provider reported: the first failure wins, a late delivery hides nothing, a repeat says so', async () => {
    const conversation = await seedConversation(db.dataSource, [bob, carol]);
    const message = await seedMessage(db.dataSource, conversation, bob, [carol]);
    const open = (channel: 'sms' | 'email', key: string, fallbackOf: string | null = null) =>
      notifications.open({ userId: carol, messageId: message, channel, title: 'New message from Bob', body: 'Open the app', dedupeKey: key, fallbackOf });
    const sms = await open('sms', `feedback-sms-${message}`);
    await notifications.markSent(sms.id, 'SM0123');
    expect(await notifications.recordProviderStatus({ channel: 'sms', providerId: 'SM9999' }, 'delivered', null)).toBeUndefined();
    expect(await notifications.recordProviderStatus({ channel: 'email', providerId: 'SM0123' }, 'delivered', null)).toBeUndefined();
    expect(await notifications.recordProviderStatus({ channel: 'sms', providerId: 'SM0123' }, 'undelivered', 'Twilio undelivered (error 30003)')).toEqual({
      id: sms.id,
      userId: carol,
      messageId: message,
      channel: 'sms',
      providerStatus: 'undelivered',
      repeated: false,
    });
    expect(await notifications.recordProviderStatus({ channel: 'sms', providerId: 'SM0123' }, 'undelivered', null)).toMatchObject({ repeated: true });
    expect(await notifications.recordProviderStatus({ channel: 'sms', providerId: 'SM0123' }, 'delivered', null)).toBeUndefined();

    // An email the receiving server accepted can still bounce; a delivered SMS cannot turn undelivered.
    const email = await open('email', `feedback-email-${message}`, sms.id);
    expect(await notifications.recordProviderStatus({ id: email.id }, 'delivered', null)).toMatchObject({ providerStatus: 'delivered' });
    expect(await notifications.fallbackSource(sms.id)).toMatchObject({
      providerStatus: 'undelivered',
      deliveredElsewhere: true,
      read: false,
      conversationId: conversation,
    });
    expect(await notifications.recordProviderStatus({ id: email.id }, 'bounced', 'DSN 5.1.1')).toMatchObject({ providerStatus: 'bounced' });
    expect(await notifications.fallbackSource(sms.id)).toMatchObject({ deliveredElsewhere: false, title: 'New message from Bob', userId: carol });

    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read' WHERE message_id = $1`, [message]);
    expect(await notifications.fallbackSource(sms.id)).toMatchObject({ read: true });
    expect(await notifications.fallbackSource(randomUUID())).toBeUndefined();
  });
});
