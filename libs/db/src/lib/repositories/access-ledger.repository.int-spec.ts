import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from '../data-source';
import { LEDGER_GENESIS_HASH, ledgerRowHash } from '../ledger/access-ledger.hash';
import { verifyAccessLedger } from '../ledger/access-ledger.verifier';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedUser } from '../../testing';
import { AccessLedgerRepository, AccessRecord } from './access-ledger.repository';

describe('AccessLedgerRepository', () => {
  let db: RepositoryTestDatabase;
  let ledger: AccessLedgerRepository;
  let reader: string;
  let sender: string;

  const access = (overrides: Partial<AccessRecord> = {}): AccessRecord => ({
    actorId: reader,
    subjectIds: [sender],
    conversationIds: [randomUUID()],
    messageIds: [randomUUID(), randomUUID()],
    via: 'history',
    ip: '10.0.0.7',
    userAgent: 'jest',
    ...overrides,
  });

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('access-ledger-repository-spec');
    ledger = new AccessLedgerRepository(db.dataSource);
    [reader, sender] = [await seedUser(db.dataSource, 'Reader'), await seedUser(db.dataSource, 'Sender')];
  });
  afterAll(() => db?.close());

  it('appends rows chained to one another from the genesis hash, and moves the head', async () => {
    const first = await ledger.append(access({ userAgent: 'x'.repeat(500) }));
    const second = await ledger.append(access({ via: 'export', ip: null, userAgent: null }));
    const rows = await ledger.walk('0', 10);
    expect(rows.map((r) => r.seq)).toEqual([first.seq, second.seq]);
    expect(first.seq).toBe('1');
    expect(rows[0]?.prevHash.equals(LEDGER_GENESIS_HASH)).toBe(true);
    expect(rows[1]?.prevHash.equals(first.hash)).toBe(true);
    for (const row of rows) expect(ledgerRowHash(row, row.prevHash).equals(row.hash)).toBe(true);
    expect(rows[0]).toMatchObject({ actorId: reader, subjectIds: [sender], via: 'history', userAgent: 'x'.repeat(120) });
    expect(rows[1]).toMatchObject({ via: 'export', ip: null, userAgent: null });
    expect(await ledger.head()).toEqual({ seq: '2', hash: second.hash, anchoredSeq: '0' });
    expect(await verifyAccessLedger(ledger)).toEqual({ ok: true, rowsChecked: 2 });
  });

  it('keeps one gapless chain under concurrent appends from two connection pools', async () => {
    const other = await new DataSource(
      createDataSourceOptions({ url: db.database.url, poolMode: db.database.poolMode, poolSize: 4, applicationName: 'access-ledger-other', logging: false }),
    ).initialize();
    try {
      const otherLedger = new AccessLedgerRepository(other);
      const before = BigInt((await ledger.head()).seq);
      const appended = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? ledger : otherLedger).append(access({ messageIds: [randomUUID()] }))),
      );
      const seqs = appended.map((a) => BigInt(a.seq)).sort((a, b) => (a < b ? -1 : 1));
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => before + BigInt(i + 1)));
      // Walked in pages smaller than the chain: the verifier carries the last hash across pages.
      expect(await verifyAccessLedger(ledger, 7)).toEqual({ ok: true, rowsChecked: Number(before) + 40 });
    } finally {
      await other.destroy();
    }
  });

  it('appends a batch in order under one lock, chained like single appends', async () => {
    const head = await ledger.head();
    const batch = await ledger.appendMany([access({ via: 'conversation-list' }), access({ via: 'socket-sync', subjectIds: [] })]);
    expect(batch.map((b) => b.seq)).toEqual([String(BigInt(head.seq) + 1n), String(BigInt(head.seq) + 2n)]);
    const rows = await ledger.walk(head.seq, 10);
    expect(rows.map((r) => [r.via, r.subjectIds])).toEqual([
      ['conversation-list', [sender]],
      ['socket-sync', []],
    ]);
    expect(rows[0]?.prevHash.equals(head.hash)).toBe(true);
    expect(await ledger.appendMany([])).toEqual([]);
    expect(await verifyAccessLedger(ledger)).toMatchObject({ ok: true });
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(db.dataSource.query(`UPDATE access_ledger SET ip = '1.2.3.4' WHERE seq = 1`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.dataSource.query(`DELETE FROM access_ledger WHERE seq = 1`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db.dataSource.query(`TRUNCATE access_ledger`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const grants: { privilege_type: string }[] = await db.dataSource.query(
      `SELECT privilege_type FROM information_schema.role_table_grants WHERE table_name = 'access_ledger' AND grantee = 'PUBLIC'`,
    );
    expect(grants).toEqual([]);
    expect(await verifyAccessLedger(ledger)).toMatchObject({ ok: true });
  });

  it('pages the accesses to a subject newest first, and by actor', async () => {
    const [ann, bob] = [await seedUser(db.dataSource, 'Ann'), await seedUser(db.dataSource, 'Bob')];
    const seqs = [];
    for (let i = 0; i < 5; i += 1) seqs.push((await ledger.append(access({ actorId: i % 2 ? bob : reader, subjectIds: [ann, sender] }))).seq);
    const first = await ledger.page({ subjectId: ann, limit: 3 });
    expect(first.items.map((r) => r.seq)).toEqual(seqs.slice(2).reverse());
    expect(first.next).toBe(seqs[2]);
    const second = await ledger.page({ subjectId: ann, beforeSeq: first.next ?? undefined, limit: 3 });
    expect(second.items.map((r) => r.seq)).toEqual(seqs.slice(0, 2).reverse());
    expect(second.next).toBeNull();
    expect((await ledger.page({ subjectId: ann, actorId: bob, limit: 10 })).items.map((r) => r.seq)).toEqual([seqs[3], seqs[1]]);
    expect((await ledger.page({ subjectId: bob, limit: 10 })).items).toEqual([]);
  });

  it('anchors the head in the audit log once per new head, and verify checks the anchor', async () => {
    const head = await ledger.head();
    const [a, b] = await Promise.all([ledger.anchor(), ledger.anchor()]);
    // Two anchorers at once (two workers): one writes the head, the other finds it anchored.
    expect([a, b].filter(Boolean)).toEqual([{ seq: head.seq, hash: head.hash }]);
    expect(await ledger.anchor()).toBeNull();
    const anchors: { target: string; detail: unknown }[] = await db.dataSource.query(`SELECT target, detail FROM audit_log WHERE action = 'ledger.anchor'`);
    expect(anchors).toEqual([{ target: head.seq, detail: { seq: head.seq, hash: head.hash.toString('hex') } }]);
    expect((await ledger.head()).anchoredSeq).toBe(head.seq);
    expect(await ledger.latestAnchor()).toEqual({ seq: head.seq, hash: head.hash });
    expect(await verifyAccessLedger(ledger)).toMatchObject({ ok: true });
  });

  it('names the first altered row once a superuser bypasses the trigger', async () => {
    const before = await verifyAccessLedger(ledger);
    expect(before.ok).toBe(true);
    await db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE access_ledger SET actor_id = $1 WHERE seq = 3`, [sender]);
    });
    expect(await verifyAccessLedger(ledger, 5)).toEqual({
      ok: false,
      rowsChecked: 3,
      firstBrokenSeq: '3',
      reason: 'its hash does not match its fields: the row was altered',
    });
  });
});
