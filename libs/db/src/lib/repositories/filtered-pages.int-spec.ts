import { openRepositoryTestDatabase, RepositoryTestDatabase, seedMessage, seedUser } from '../../testing';
import type { SqlStatement } from '../sql-statement';
import { accessLedgerPageStatement } from './access-ledger.repository';
import { deadLetterPageStatement } from './dead-letter.repository';
import { failedDeliveriesPageStatement } from './delivery.repository';
import { usersPageStatement } from './user.repository';

/**
 * The console's filtered lists under the apps' generic plans (data-source.ts): a filter on a
 * few rows among many must be read by its index, not by walking the whole list newest first
 * and discarding the rest. Counted, not timed: the rows the statement fetched by index or read
 * by scan, from this transaction's own counters.
 */
describe('filtered pages under generic plans', () => {
  let db: RepositoryTestDatabase;
  /** Newer rows spread over GROUPS other messages, fingerprints or people, as a busy system has them. */
  const MANY = 3_000;
  const GROUPS = 300;
  const FEW = 5;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('filtered-pages-spec');
  });
  afterAll(() => db?.close());

  const rowsRead = (table: string, statement: SqlStatement): Promise<{ rows: unknown[]; read: number }> =>
    db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      const counted = async (): Promise<number> => {
        const [row]: { n: string }[] = await manager.query(
          `SELECT COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0) AS n FROM pg_stat_xact_user_tables WHERE relname = $1`,
          [table],
        );
        return Number(row?.n ?? 0);
      };
      const before = await counted();
      const rows: unknown[] = await manager.query(statement.sql, [...statement.params]);
      return { rows, read: (await counted()) - before };
    });

  it("a batch's failed deliveries: that message's rows, not every newer failure", async () => {
    const sender = await seedUser(db.dataSource, 'failures-sender');
    const [{ ids: recipients }]: { ids: string[] }[] = await db.dataSource.query(
      `WITH u AS (INSERT INTO users (email, display_name, password_hash)
                  SELECT 'failing-' || g || '@example.com', 'failing ' || g, 'x' FROM generate_series(1, ${MANY / GROUPS}) g RETURNING id)
       SELECT array_agg(id) AS ids FROM u`,
    );
    const conversation = (await db.dataSource.query(`INSERT INTO conversations (type, created_by) VALUES ('group', $1) RETURNING id`, [sender]))[0].id;
    const others: string[] = [];
    for (let i = 0; i < GROUPS; i += 1) others.push(await seedMessage(db.dataSource, conversation, sender, recipients));
    const batchMessage = await seedMessage(db.dataSource, conversation, sender, recipients.slice(0, FEW));
    // The batch's failures are the oldest: newest first, every other failure comes before them.
    await db.dataSource.query(
      `UPDATE message_deliveries SET status = 'failed', failure_reason = 'unreachable',
              failed_at = now() - CASE WHEN message_id = $2 THEN interval '1 day' ELSE interval '1 second' END
       WHERE message_id = ANY($1::uuid[]) OR message_id = $2`,
      [others, batchMessage],
    );
    await db.dataSource.query(`ANALYZE message_deliveries`);

    const page = await rowsRead('message_deliveries', failedDeliveriesPageStatement({ limit: 50 }, batchMessage));
    expect(page.rows).toHaveLength(FEW);
    expect(page.read).toBeLessThan(50);
    const filtered = await rowsRead(
      'message_deliveries',
      failedDeliveriesPageStatement({ limit: 50, queue: 'message-delivery', reason: 'unreach' }, batchMessage),
    );
    expect(filtered.rows).toHaveLength(FEW);
    expect(
      (await rowsRead('message_deliveries', failedDeliveriesPageStatement({ limit: 50, queue: 'batch-message-sending' }, batchMessage))).rows,
    ).toHaveLength(0);
    expect((await rowsRead('message_deliveries', failedDeliveriesPageStatement({ limit: 50 }, null))).rows).toHaveLength(50);
  });

  it("a dead-letter group: that fingerprint's letters, not every newer letter", async () => {
    await db.dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, attempts_made, failed_at, fingerprint)
       SELECT 'message-delivery', 'job-' || g, 'send-message', '{}', 'boom', 5,
              now() - CASE WHEN g <= ${FEW} THEN interval '1 day' ELSE interval '1 second' END,
              CASE WHEN g <= ${FEW} THEN 'rare' ELSE 'group-' || g % ${GROUPS} END
       FROM generate_series(1, ${MANY}) g`,
    );
    await db.dataSource.query(`ANALYZE dead_letters`);
    const group = await rowsRead('dead_letters', deadLetterPageStatement({ limit: 50, fingerprint: 'rare' }));
    expect(group.rows).toHaveLength(FEW);
    expect(group.read).toBeLessThan(50);
    expect((await rowsRead('dead_letters', deadLetterPageStatement({ limit: 50 }))).rows).toHaveLength(50);
  });

  it("the access ledger by actor: that person's rows, not every newer row", async () => {
    const [actor, subject] = [await seedUser(db.dataSource, 'ledger-actor'), await seedUser(db.dataSource, 'ledger-subject')];
    const [{ ids: others }]: { ids: string[] }[] = await db.dataSource.query(
      `WITH u AS (INSERT INTO users (email, display_name, password_hash)
                  SELECT 'reader-' || g || '@example.com', 'reader ' || g, 'x' FROM generate_series(1, ${GROUPS}) g RETURNING id)
       SELECT array_agg(id) AS ids FROM u`,
    );
    // Rows written directly: the page reads them; the chain's hashes are the appender's business, not this test's.
    await db.dataSource.query(
      `INSERT INTO access_ledger (seq, actor_id, subject_ids, conversation_ids, message_ids, via, at, prev_hash, hash)
       SELECT g, CASE WHEN g <= ${FEW} THEN $1::uuid ELSE ($3::uuid[])[1 + g % ${GROUPS}] END,
              ARRAY[CASE WHEN g <= ${FEW} THEN $2::uuid ELSE ($3::uuid[])[1 + (g + 1) % ${GROUPS}] END],
              '{}', '{}', 'history', now(), '\\x00', '\\x00'
       FROM generate_series(1, ${MANY}) g`,
      [actor, subject, others],
    );
    await db.dataSource.query(`ANALYZE access_ledger`);
    const byActor = await rowsRead('access_ledger', accessLedgerPageStatement({ actorId: actor, limit: 50 }));
    expect(byActor.rows).toHaveLength(FEW);
    expect(byActor.read).toBeLessThan(50);
    // By subject the rows are right, but a generic plan still walks the ledger newest first: it
    // cannot tell a rare subject from a common one in the GIN index (README "Access ledger").
    expect((await rowsRead('access_ledger', accessLedgerPageStatement({ subjectId: subject, limit: 50 }))).rows).toHaveLength(FEW);
    expect((await rowsRead('access_ledger', accessLedgerPageStatement({ limit: 50 }))).rows).toHaveLength(50);
  });

  it('the user list: a deep page reads its own rows, not the whole table sorted', async () => {
    await db.dataSource.query(
      `INSERT INTO users (email, display_name, password_hash, role, created_at)
       SELECT 'listed-' || g || '@example.com', 'listed ' || g, 'x', CASE WHEN g % 2 = 0 THEN 'operator' ELSE 'user' END, now() - g * interval '1 second'
       FROM generate_series(1, ${MANY}) g`,
    );
    await db.dataSource.query(`ANALYZE users`);
    const [{ at, id }]: { at: Date; id: string }[] = await db.dataSource.query(
      `SELECT created_at AS at, id FROM users ORDER BY created_at DESC, id DESC OFFSET ${MANY - 30} LIMIT 1`,
    );
    const deep = await rowsRead('users', usersPageStatement({ after: { at: at.toISOString(), id }, limit: 10 }));
    expect(deep.rows).toHaveLength(10);
    expect(deep.read).toBeLessThan(50);
    const operators = await rowsRead('users', usersPageStatement({ role: 'operator', active: true, search: 'listed', limit: 10 }));
    expect(operators.rows).toHaveLength(10);
    expect(operators.rows.every((row) => (row as { role: string }).role === 'operator')).toBe(true);
  });
});
