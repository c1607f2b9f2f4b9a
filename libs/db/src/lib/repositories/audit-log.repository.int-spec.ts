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
});
