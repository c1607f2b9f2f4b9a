import { openRepositoryTestDatabase, RepositoryTestDatabase, seedUser } from '../../testing';
import { NotificationSettingsRepository } from './notification-settings.repository';

const subscription = (auth = 'auth-1') => ({ endpoint: 'https://push.example.test/device-1', keys: { p256dh: 'p256dh-1', auth } });

describe('NotificationSettingsRepository', () => {
  let db: RepositoryTestDatabase;
  let settings: NotificationSettingsRepository;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('notification-settings-repository-spec');
    settings = new NotificationSettingsRepository(db.dataSource);
    [bob, carol] = [await seedUser(db.dataSource, 'Bob'), await seedUser(db.dataSource, 'Carol')];
  });
  afterAll(() => db?.close());

  it('finds a recipient’s addresses, and their channels once saved', async () => {
    expect(await settings.recipient(bob)).toEqual({
      email: 'bob@example.com',
      displayName: 'Bob',
      phone: null,
      active: true,
      channels: null,
      channelOrder: null,
    });
    await settings.savePreferences(carol, { channels: { inApp: true, email: false, push: false, sms: true }, quietHours: null });
    expect((await settings.recipient(carol))?.channels).toEqual({ inApp: true, email: false, push: false, sms: true });
    expect(await settings.recipient('0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10')).toBeUndefined();
  });

  it('has no preferences until saved, then the last saved', async () => {
    expect(await settings.preferences(bob)).toBeUndefined();
    const quiet = { channels: { inApp: true, email: false, push: true, sms: false }, quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/London' } };
    await settings.savePreferences(bob, quiet);
    expect(await settings.preferences(bob)).toEqual({ ...quiet, channelOrder: [] });
    const loud = { channels: { inApp: true, email: true, push: true, sms: true }, quietHours: null };
    await settings.savePreferences(bob, loud);
    expect(await settings.preferences(bob)).toEqual({ ...loud, channelOrder: [] });
  });

  it('saves a channel order, keeps it when a save leaves it out, and gives it to the worker', async () => {
    const channels = { inApp: true, email: true, push: true, sms: true };
    expect(await settings.savePreferences(carol, { channels, quietHours: null, channelOrder: ['push', 'sms', 'email'] })).toMatchObject({
      channelOrder: ['push', 'sms', 'email'],
    });
    expect(await settings.savePreferences(carol, { channels, quietHours: null })).toMatchObject({ channelOrder: ['push', 'sms', 'email'] });
    expect((await settings.recipient(carol))?.channelOrder).toEqual(['push', 'sms', 'email']);
    await settings.savePreferences(carol, { channels, quietHours: null, channelOrder: [] });
    expect((await settings.preferences(carol))?.channelOrder).toEqual([]);
  });

  it('keeps one subscription per endpoint: the same again is refused, new keys or a new owner replace it', async () => {
    expect(await settings.addPushSubscription(bob, subscription())).toBe(true);
    expect(await settings.addPushSubscription(bob, subscription())).toBe(false);
    expect(await settings.addPushSubscription(bob, subscription('auth-2'))).toBe(true);
    expect(await settings.pushSubscriptionsOf(bob)).toEqual([{ id: expect.any(String), ...subscription('auth-2') }]);
    expect(await settings.addPushSubscription(carol, subscription('auth-2'))).toBe(true);
    expect(await settings.pushSubscriptionsOf(bob)).toEqual([]);
    expect(await settings.pushSubscriptionsOf(carol)).toHaveLength(1);
  });

  it('records a push that got through, and removes a subscription the push service says is gone', async () => {
    const [stored] = await settings.pushSubscriptionsOf(carol);
    await settings.pushSucceeded(stored?.id as string);
    const [row]: { last_success_at: Date | null }[] = await db.dataSource.query(`SELECT last_success_at FROM push_subscriptions WHERE id = $1`, [stored?.id]);
    expect(row?.last_success_at).toBeInstanceOf(Date);
    await settings.removePushSubscription(stored?.id as string);
    expect(await settings.pushSubscriptionsOf(carol)).toEqual([]);
  });
});
