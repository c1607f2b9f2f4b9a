import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../testing';
import { DB_MIGRATIONS, createDataSourceOptions } from '../data-source';
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
  'held_notifications',
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

/** Every migration's name, in the order they apply. */
const MIGRATION_NAMES = DB_MIGRATIONS.map((migration) => migration.name);

/**
 * Undoes migrations, newest first, until `name` is undone too; answers the names undone,
 * oldest first (what applying again must run). By name, so a new migration changes no test.
 */
async function revertThrough(dataSource: DataSource, name: string): Promise<string[]> {
  const from = MIGRATION_NAMES.indexOf(name);
  if (from < 0) throw new Error(`no migration named ${name}`);
  const applied = async () => ((await dataSource.query(`SELECT name FROM migrations`)) as { name: string }[]).map((row) => row.name);
  while ((await applied()).includes(name)) await dataSource.undoLastMigration({ transaction: 'all' });
  return MIGRATION_NAMES.slice(from);
}

async function reapply(dataSource: DataSource): Promise<string[]> {
  return (await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name);
}

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

  it('turns JIT off for the database and vacuums the busy tables at a size-independent pace, and undoes both when reverted', async () => {
    const options = `SELECT relname, reloptions FROM pg_class WHERE relname IN ('message_deliveries', 'search_terms') ORDER BY relname`;
    // The database's own settings, which every new session of it takes.
    const databaseSettings = `SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
      WHERE d.datname = current_database() AND s.setrole = 0`;
    expect(await dataSource.query(options)).toEqual([
      { relname: 'message_deliveries', reloptions: expect.arrayContaining(['autovacuum_vacuum_scale_factor=0.02']) },
      { relname: 'search_terms', reloptions: expect.arrayContaining(['autovacuum_vacuum_insert_scale_factor=0.05']) },
    ]);
    expect(await dataSource.query(databaseSettings)).toEqual([{ setconfig: expect.arrayContaining(['jit=off']) }]);
    const undone = await revertThrough(dataSource, 'PlannerAndVacuum1795430000000');
    expect(await dataSource.query(options)).toEqual([
      { relname: 'message_deliveries', reloptions: ['fillfactor=75'] },
      { relname: 'search_terms', reloptions: null },
    ]);
    expect(await dataSource.query(databaseSettings)).toEqual([]);
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('leaves half of each page of messages and deliveries for their next row versions, and restores 90 and 75 when reverted', async () => {
    const fillfactors = `SELECT relname, (SELECT option FROM unnest(reloptions) AS option WHERE option LIKE 'fillfactor=%') AS fillfactor
      FROM pg_class WHERE relname IN ('message_deliveries', 'messages') ORDER BY relname`;
    expect(await dataSource.query(fillfactors)).toEqual([
      { relname: 'message_deliveries', fillfactor: 'fillfactor=45' },
      { relname: 'messages', fillfactor: 'fillfactor=50' },
    ]);
    const undone = await revertThrough(dataSource, 'RoomForStatusUpdates1795450000000');
    expect(await dataSource.query(fillfactors)).toEqual([
      { relname: 'message_deliveries', fillfactor: 'fillfactor=75' },
      { relname: 'messages', fillfactor: 'fillfactor=90' },
    ]);
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('adds messages.critical and held_notifications, and drops both when reverted', async () => {
    const critical = `SELECT column_name FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'critical'`;
    expect(await dataSource.query(critical)).toHaveLength(1);
    const undone = await revertThrough(dataSource, 'QuietHoursHeld1795420000000');
    expect(await dataSource.query(critical)).toEqual([]);
    expect(await tables(dataSource)).not.toContain('held_notifications');
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('adds the provider feedback columns and the channel order, and drops them when reverted', async () => {
    const columns = `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
      WHERE column_name IN ('provider_id', 'provider_status', 'provider_detail', 'provider_status_at', 'fallback_of', 'channel_order') ORDER BY 1`;
    const names = async () => ((await dataSource.query(columns)) as { name: string }[]).map((row) => row.name);
    expect(await names()).toEqual([
      'notification_preferences.channel_order',
      'notifications.fallback_of',
      'notifications.provider_detail',
      'notifications.provider_id',
      'notifications.provider_status',
      'notifications.provider_status_at',
    ]);
    const undone = await revertThrough(dataSource, 'ProviderFeedback1795410000000');
    expect(await names()).toEqual([]);
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('creates the append-only access ledger with its head, and drops them when reverted', async () => {
    const gin = `SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_access_ledger_subject_ids'`;
    expect(await dataSource.query(gin)).toEqual([{ indexdef: expect.stringMatching(/ON public\.access_ledger USING gin \(subject_ids\)$/) }]);
    expect(await dataSource.query(`SELECT seq, anchored_seq FROM access_ledger_head`)).toEqual([{ seq: '0', anchored_seq: '0' }]);
    const triggers: { tgname: string }[] = await dataSource.query(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'access_ledger'::regclass AND NOT tgisinternal ORDER BY tgname`,
    );
    expect(triggers.map((t) => t.tgname)).toEqual(['trg_access_ledger_append_only', 'trg_access_ledger_no_truncate']);
    const undone = await revertThrough(dataSource, 'AccessLedger1795400000000');
    expect(await tables(dataSource)).not.toContain('access_ledger');
    expect(await dataSource.query(`SELECT 1 FROM pg_proc WHERE proname = 'access_ledger_refuse_change'`)).toEqual([]);
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('indexes failed deliveries by message, and drops the index when reverted', async () => {
    await dataSource.undoLastMigration({ transaction: 'all' });
    const index = `SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_message_deliveries_message_id_failed_at'`;
    expect(await dataSource.query(index)).toEqual([
      { indexdef: expect.stringMatching(/ON public\.message_deliveries USING btree \(message_id, failed_at\) WHERE \(failed_at IS NOT NULL\)$/) },
    ]);
    const undone = await revertThrough(dataSource, 'FailedDeliveriesByMessage1795390000000');
    expect(await dataSource.query(index)).toEqual([]);
    expect(await reapply(dataSource)).toEqual(undone);
  });

  it('gives dead letters recorded before grouping existed their fingerprint', async () => {
    await revertThrough(dataSource, 'JobEventAttempts1795380000000');
    const attemptColumns = `SELECT column_name FROM information_schema.columns WHERE table_name = 'job_events' AND column_name IN ('worker', 'stack')`;
    expect(await dataSource.query(attemptColumns)).toEqual([]);
    const undone = await revertThrough(dataSource, 'DeadLetterGroups1795370000000');
    const reason = 'Recipient 7f1c2a9e-1b2c-4d5e-8f90-123456789abc is no longer a participant';
    const stack = `Error: ${reason}\n    at DeliveryProcessor.deliver (/srv/dist/apps/worker/main.js:120:7)`;
    await dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, stacktrace, attempts_made, failed_at) VALUES ('message-delivery', 'j-1', 'send-message', '{}', $1, $2, 5, now())`,
      [reason, stack],
    );
    expect(await reapply(dataSource)).toEqual(undone);
    const [row]: { fingerprint: string }[] = await dataSource.query(`SELECT fingerprint FROM dead_letters WHERE job_id = 'j-1'`);
    expect(row?.fingerprint).toBe(failureSignature('send-message', reason, stack).fingerprint);
    await dataSource.query(`DELETE FROM dead_letters`);
  });

  it('reverts completely and applies again', async () => {
    const indexesOf = async (table: string) =>
      ((await dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [table])) as { indexname: string }[]).map(
        (r) => r.indexname,
      );
    await revertThrough(dataSource, 'DeadLetterGroups1795370000000');
    expect(await indexesOf('dead_letters')).toEqual(['idx_dead_letters_failed_at_desc', 'pk_dead_letters', 'uq_dead_letters_job_id_failed_at']);
    await revertThrough(dataSource, 'OutboxFinished1795360000000');
    expect(await indexesOf('outbox')).toEqual(['idx_outbox_unpublished', 'pk_outbox', 'uq_outbox_job_id']);
    await revertThrough(dataSource, 'HotUpdates1795350000000');
    expect(await indexesOf('message_deliveries')).toEqual([
      'idx_message_deliveries_failed_at_failed',
      'idx_message_deliveries_recipient_id_status',
      'pk_message_deliveries',
    ]);
    await revertThrough(dataSource, 'JobEvents1795340000000');
    expect(await tables(dataSource)).not.toContain('job_events');
    await revertThrough(dataSource, 'InitialSchema1795330000000');
    expect(await tables(dataSource)).toEqual(['migrations']);
    expect(await reapply(dataSource)).toEqual(MIGRATION_NAMES);
    expect(await tables(dataSource)).toEqual(EXPECTED_TABLES);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
