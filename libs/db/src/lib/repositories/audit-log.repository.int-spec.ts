import { openRepositoryTestDatabase, RepositoryTestDatabase, seedUser } from '../../testing';
import { AuditLogRepository } from './audit-log.repository';

describe('AuditLogRepository', () => {
  let db: RepositoryTestDatabase;
  let audit: AuditLogRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('audit-log-repository-spec');
    audit = new AuditLogRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('records who did what, with ids in its detail, and reads it back newest first', async () => {
    const admin = await seedUser(db.dataSource, 'Admin');
    await audit.record({ actorId: admin, action: 'queue.pause', target: 'message-delivery' });
    await audit.record({ actorId: null, action: 'encryption.rotate.completed', target: 'rotation-1', count: 2, detail: { skipped: 2 } });
    const page = await audit.page({ limit: 10 });
    expect(page.next).toBeNull();
    expect(page.items).toEqual([
      {
        id: expect.any(String),
        actorId: null,
        action: 'encryption.rotate.completed',
        target: 'rotation-1',
        count: 2,
        detail: { skipped: 2 },
        at: expect.any(Date),
      },
      { id: expect.any(String), actorId: admin, action: 'queue.pause', target: 'message-delivery', count: null, detail: null, at: expect.any(Date) },
    ]);
  });

  it('pages through entries written within one millisecond without skipping any', async () => {
    // One statement: every row has the same microsecond, so only the id orders them.
    await db.dataSource.query(`INSERT INTO audit_log (action, target) SELECT 'bulk', 'job-' || g FROM generate_series(1, 7) g`);
    const all = (await audit.page({ limit: 100 })).items;
    expect(all).toHaveLength(9);
    const seen = [];
    let after;
    do {
      const page = await audit.page({ limit: 3, after });
      seen.push(...page.items);
      after = page.next ?? undefined;
    } while (after);
    expect(seen).toEqual(all);
  });

  it('filters by actor, exact action or a family of them, target and time', async () => {
    const [ann, bob] = [await seedUser(db.dataSource, 'Ann'), await seedUser(db.dataSource, 'Bob')];
    await audit.record({ actorId: ann, action: 'queue.pause', target: 'message-cleanup' });
    await audit.record({ actorId: ann, action: 'queue.resume', target: 'message-cleanup' });
    await audit.record({ actorId: bob, action: 'queue.pause', target: 'message-delivery' });
    await audit.record({ actorId: bob, action: 'user_x.create', target: 'u-1' });
    const actions = async (query: Parameters<AuditLogRepository['page']>[0]) => (await audit.page(query)).items.map((e) => `${e.action}@${e.target}`);

    expect(await actions({ actorId: ann, limit: 10 })).toEqual(['queue.resume@message-cleanup', 'queue.pause@message-cleanup']);
    expect(await actions({ action: 'queue.', actorId: bob, limit: 10 })).toEqual(['queue.pause@message-delivery']);
    expect(await actions({ action: 'queue.pause', target: 'message-cleanup', limit: 10 })).toEqual(['queue.pause@message-cleanup']);
    // _ is a character of the action, not a wildcard: user_x. matches user_x.create and nothing else.
    expect(await actions({ action: 'user_x.', limit: 10 })).toEqual(['user_x.create@u-1']);
    expect(await actions({ action: 'userXx.', limit: 10 })).toEqual([]);
    // An hour apart, so the bounds are unambiguous whatever the clock's resolution.
    await db.dataSource.query(`UPDATE audit_log SET at = now() + interval '1 hour' WHERE action = 'user_x.create'`);
    const cut = new Date(Date.now() + 30 * 60_000);
    expect(await actions({ actorId: bob, from: cut, limit: 10 })).toEqual(['user_x.create@u-1']);
    expect(await actions({ actorId: bob, to: cut, limit: 10 })).toEqual(['queue.pause@message-delivery']);
  });
});
