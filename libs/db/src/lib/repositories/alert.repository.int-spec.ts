import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { AlertRepository, FiringAlertRecord } from './alert.repository';

const backlog = (value: number): FiringAlertRecord => ({
  rule: 'backlog',
  queue: 'message-delivery',
  dedupeKey: 'backlog:message-delivery',
  severity: 'warning',
  message: `${value} jobs waiting`,
  value,
  threshold: 1000,
});

describe('AlertRepository', () => {
  let db: RepositoryTestDatabase;
  let alerts: AlertRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('alert-repository-spec');
    alerts = new AlertRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('opens one alert per key, refreshes it while it fires and resolves it once', async () => {
    const opened = await alerts.open(backlog(1500));
    expect(opened).toMatchObject({ rule: 'backlog', queue: 'message-delivery', status: 'open', value: 1500, resolvedAt: null });
    expect(await alerts.open(backlog(1600))).toBeUndefined();
    expect(await alerts.openKeys()).toEqual([{ id: opened?.id, rule: 'backlog', dedupeKey: 'backlog:message-delivery' }]);

    await alerts.refresh({ ...backlog(2500), severity: 'critical' });
    const [refreshed] = await alerts.list('open', 10);
    expect(refreshed).toMatchObject({ id: opened?.id, value: 2500, severity: 'critical', message: '2500 jobs waiting' });
    expect(Date.parse(refreshed?.lastSeenAt ?? '')).toBeGreaterThanOrEqual(Date.parse(opened?.lastSeenAt ?? ''));

    const resolved = await alerts.resolve(opened?.id ?? '');
    expect(resolved).toMatchObject({ id: opened?.id, status: 'resolved' });
    expect(resolved?.resolvedAt).toEqual(expect.any(String));
    expect(await alerts.resolve(opened?.id ?? '')).toBeUndefined();
    expect(await alerts.openKeys()).toEqual([]);
    expect(await alerts.list('open', 10)).toEqual([]);
  });

  it('opens the same key again once resolved, and lists newest first within the limit', async () => {
    const again = await alerts.open(backlog(1200));
    expect(again?.status).toBe('open');
    const all = await alerts.list(undefined, 10);
    expect(all.map((a) => a.status)).toEqual(['open', 'resolved']);
    expect(await alerts.list(undefined, 1)).toEqual([all[0]]);
    expect((await alerts.list('resolved', 10)).map((a) => a.status)).toEqual(['resolved']);
  });
});
