import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { idAfter, positionBefore, timeWithin } from './keyset-page';

/**
 * The apps plan every statement generically (data-source.ts): a keyset condition must still
 * make an index range then, or each page reads every row above it. Counted, not timed: the rows
 * the statement fetched by index or read by scan, from this transaction's own counters.
 */
describe('keyset SQL under generic plans', () => {
  let db: RepositoryTestDatabase;
  const ROWS = 3_000;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('keyset-page-spec');
    await db.dataSource.query(`CREATE TABLE keyset_probe (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), at timestamptz NOT NULL)`);
    await db.dataSource.query(`CREATE INDEX idx_keyset_probe_at ON keyset_probe (at DESC)`);
    await db.dataSource.query(`INSERT INTO keyset_probe (at) SELECT now() - g * interval '1 second' FROM generate_series(1, ${ROWS}) g`);
    await db.dataSource.query(`ANALYZE keyset_probe`);
  });
  afterAll(() => db?.close());

  const rowsRead = (sql: string, params: unknown[]): Promise<{ rows: unknown[]; read: number }> =>
    db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      const counted = async (): Promise<number> => {
        const [row]: { n: string }[] = await manager.query(
          `SELECT COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0) AS n FROM pg_stat_xact_user_tables WHERE relname = 'keyset_probe'`,
        );
        return Number(row?.n ?? 0);
      };
      const before = await counted();
      const rows: unknown[] = await manager.query(sql, params);
      return { rows, read: (await counted()) - before };
    });

  it('idAfter: a step deep into an id walk reads its own rows only', async () => {
    const [{ id: cursor }]: { id: string }[] = await db.dataSource.query(`SELECT id FROM keyset_probe ORDER BY id OFFSET ${ROWS - 30} LIMIT 1`);
    const { rows, read } = await rowsRead(`SELECT id FROM keyset_probe WHERE ${idAfter('id', '$1')} ORDER BY id LIMIT $2`, [cursor, 10]);
    expect(rows).toHaveLength(10);
    expect(read).toBeLessThan(50);
    expect((await rowsRead(`SELECT id FROM keyset_probe WHERE ${idAfter('id', '$1')} ORDER BY id LIMIT $2`, [null, 10])).rows).toHaveLength(10);
  });

  it('positionBefore and timeWithin: a deep page newest first reads its own rows only', async () => {
    const [{ at, id }]: { at: Date; id: string }[] = await db.dataSource.query(
      `SELECT at, id FROM keyset_probe ORDER BY at DESC, id DESC OFFSET ${ROWS - 30} LIMIT 1`,
    );
    const page = `SELECT id FROM keyset_probe WHERE ${positionBefore('at', 'id', '$1', '$2')} AND ${timeWithin('at', '$3', '$4')} ORDER BY at DESC, id DESC LIMIT $5`;
    const deep = await rowsRead(page, [at, id, null, null, 10]);
    expect(deep.rows).toHaveLength(10);
    expect(deep.read).toBeLessThan(50);
    const first = await rowsRead(page, [null, null, null, null, 10]);
    expect(first.rows).toHaveLength(10);
    expect(first.read).toBeLessThan(50);
    // A window ending long ago: its rows are found by the range, not by reading the newer ones.
    const old = await rowsRead(page, [null, null, null, new Date(at.getTime() + 1), 10]);
    expect(old.rows).toHaveLength(10);
    expect(old.read).toBeLessThan(50);
  });
});
