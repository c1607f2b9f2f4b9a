import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../testing';
import { createDataSourceOptions } from '../data-source';
import { failureSignature } from '../failure-fingerprint';

const EXPECTED_TABLES = [
  'access_ledger', // added by AccessLedger1795400000000
  'access_ledger_head',
  'alerts',
  'attachments',
  'audit_log',
  'batches',
  'conversation_participants',
  'conversations',
  'dead_letters',
  'encryption_keys',
  'job_events', // added by the second migration
  'message_deliveries',
  'messages',
  'migrations', // TypeORM's record of applied migrations
  'notification_preferences',
  'notifications',
  'outbox',
  'push_subscriptions',
  'queue_metric_samples',
  'search_terms',
  'users',
];

/** Indexes TypeORM cannot declare (DESC), created only by the migration. */
const MIGRATION_ONLY_INDEXES = ['idx_audit_log_at_desc', 'idx_dead_letters_failed_at_desc'];
/** The access ledger's GIN index on subject_ids: TypeORM cannot declare GIN either. */
const MIGRATION_ONLY_GIN_INDEXES = ['idx_access_ledger_subject_ids'];

function connect(database: TestDatabase): Promise<DataSource> {
  return new DataSource(
    createDataSourceOptions({ url: database.url, poolMode: database.poolMode, poolSize: 2, applicationName: 'db-int-spec', logging: false }),
  ).initialize();
}

async function tables(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

/**
 * Everything Postgres knows about the schema, as text: columns, constraints with their
 * definitions, and index definitions. The schema builder compares checks and indexes by name
 * only, so this is what catches a wrong CHECK expression or a missing partial-index WHERE.
 */
async function catalog(dataSource: DataSource): Promise<string[]> {
  const columns: { line: string }[] = await dataSource.query(`
    SELECT format('column %s.%s %s null=%s default=%s identity=%s', table_name, column_name,
                  CASE WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END,
                  is_nullable, coalesce(column_default, '-'), coalesce(identity_generation, '-')) AS line
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name <> 'migrations'`);
  const constraints: { line: string }[] = await dataSource.query(`
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS line
    FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'migrations'`);
  const indexes: { line: string }[] = await dataSource.query(
    `
    SELECT format('index %s', indexdef) AS line
    FROM pg_indexes
    WHERE schemaname = 'public' AND tablename <> 'migrations' AND NOT (indexname = ANY($1))`,
    [[...MIGRATION_ONLY_INDEXES, ...MIGRATION_ONLY_GIN_INDEXES]],
  );
  return [...columns, ...constraints, ...indexes].map((row) => row.line).sort();
}

describe('initial schema migration', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await connect(database);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('creates exactly the tables of the data model', async () => {
    expect(await tables(dataSource)).toEqual(EXPECTED_TABLES);
  });

  it('leaves nothing for the schema builder to change', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('creates the same catalog as synchronising the entities would', async () => {
    const synced = await createTestDatabase({ migrate: false });
    const syncedSource = await connect(synced);
    try {
      await syncedSource.synchronize();
      expect(await catalog(dataSource)).toEqual(await catalog(syncedSource));
    } finally {
      await syncedSource.destroy();
      await synced.drop();
    }
  });

  it('creates the DESC indexes the entities cannot declare', async () => {
    const rows: { indexdef: string }[] = await dataSource.query(`SELECT indexdef FROM pg_indexes WHERE indexname = ANY($1) ORDER BY indexname`, [
      MIGRATION_ONLY_INDEXES,
    ]);
    expect(rows.map((row) => row.indexdef)).toEqual([
      expect.stringMatching(/ON public\.audit_log USING btree \(at DESC\)$/),
      expect.stringMatching(/ON public\.dead_letters USING btree \(failed_at DESC\)$/),
    ]);
  });

  it('creates the append-only access ledger with its head, and drops them when reverted', async () => {
    const gin = `SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_access_ledger_subject_ids'`;
    expect(await dataSource.query(gin)).toEqual([{ indexdef: expect.stringMatching(/ON public\.access_ledger USING gin \(subject_ids\)$/) }]);
    expect(await dataSource.query(`SELECT seq, anchored_seq FROM access_ledger_head`)).toEqual([{ seq: '0', anchored_seq: '0' }]);
    const triggers: { tgname: string }[] = await dataSource.query(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'access_ledger'::regclass AND NOT tgisinternal ORDER BY tgname`,
    );
    expect(triggers.map((t) => t.tgname)).toEqual(['trg_access_ledger_append_only', 'trg_access_ledger_no_truncate']);
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await tables(dataSource)).not.toContain('access_ledger');
    expect(await dataSource.query(`SELECT 1 FROM pg_proc WHERE proname = 'access_ledger_refuse_change'`)).toEqual([]);
    expect((await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name)).toEqual(['AccessLedger1795400000000']);
  });

  it('indexes failed deliveries by message, and drops the index when reverted', async () => {
    await dataSource.undoLastMigration({ transaction: 'all' });
    const index = `SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_message_deliveries_message_id_failed_at'`;
    expect(await dataSource.query(index)).toEqual([
      { indexdef: expect.stringMatching(/ON public\.message_deliveries USING btree \(message_id, failed_at\) WHERE \(failed_at IS NOT NULL\)$/) },
    ]);
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await dataSource.query(index)).toEqual([]);
    expect((await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name)).toEqual([
      'FailedDeliveriesByMessage1795390000000',
      'AccessLedger1795400000000',
    ]);
  });

  it('gives dead letters recorded before grouping existed their fingerprint', async () => {
    await dataSource.undoLastMigration({ transaction: 'all' });
    await dataSource.undoLastMigration({ transaction: 'all' });
    await dataSource.undoLastMigration({ transaction: 'all' });
    const attemptColumns = `SELECT column_name FROM information_schema.columns WHERE table_name = 'job_events' AND column_name IN ('worker', 'stack')`;
    expect(await dataSource.query(attemptColumns)).toEqual([]);
    await dataSource.undoLastMigration({ transaction: 'all' });
    const reason = 'Recipient 7f1c2a9e-1b2c-4d5e-8f90-123456789abc is no longer a participant';
    const stack = `Error: ${reason}\n    at DeliveryProcessor.deliver (/srv/dist/apps/worker/main.js:120:7)`;
    await dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, stacktrace, attempts_made, failed_at) VALUES ('message-delivery', 'j-1', 'send-message', '{}', $1, $2, 5, now())`,
      [reason, stack],
    );
    expect((await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name)).toEqual([
      'DeadLetterGroups1795370000000',
      'JobEventAttempts1795380000000',
      'FailedDeliveriesByMessage1795390000000',
      'AccessLedger1795400000000',
    ]);
    const [row]: { fingerprint: string }[] = await dataSource.query(`SELECT fingerprint FROM dead_letters WHERE job_id = 'j-1'`);
    expect(row?.fingerprint).toBe(failureSignature('send-message', reason, stack).fingerprint);
    await dataSource.query(`DELETE FROM dead_letters`);
  });

  it('reverts completely and applies again', async () => {
    const indexesOf = async (table: string) =>
      ((await dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [table])) as { indexname: string }[]).map(
        (r) => r.indexname,
      );
    await dataSource.undoLastMigration({ transaction: 'all' });
    await dataSource.undoLastMigration({ transaction: 'all' });
    await dataSource.undoLastMigration({ transaction: 'all' });
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await indexesOf('dead_letters')).toEqual(['idx_dead_letters_failed_at_desc', 'pk_dead_letters', 'uq_dead_letters_job_id_failed_at']);
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await indexesOf('outbox')).toEqual(['idx_outbox_unpublished', 'pk_outbox', 'uq_outbox_job_id']);
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await indexesOf('message_deliveries')).toEqual([
      'idx_message_deliveries_failed_at_failed',
      'idx_message_deliveries_recipient_id_status',
      'pk_message_deliveries',
    ]);
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await tables(dataSource)).not.toContain('job_events');
    await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await tables(dataSource)).toEqual(['migrations']);
    const ran = await dataSource.runMigrations({ transaction: 'all' });
    expect(ran.map((migration) => migration.name)).toEqual([
      'InitialSchema1795330000000',
      'JobEvents1795340000000',
      'HotUpdates1795350000000',
      'OutboxFinished1795360000000',
      'DeadLetterGroups1795370000000',
      'JobEventAttempts1795380000000',
      'FailedDeliveriesByMessage1795390000000',
      'AccessLedger1795400000000',
    ]);
    expect(await tables(dataSource)).toEqual(EXPECTED_TABLES);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
