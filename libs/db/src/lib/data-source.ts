import { Client } from 'pg';
import { DataSource, DataSourceOptions, LoggerOptions } from 'typeorm';
import type { PoolMode } from './database.config';
import { DB_ENTITIES } from './db-entities';
import { InitialSchema1795330000000 } from './migrations/1795330000000-initial-schema';
import { JobEvents1795340000000 } from './migrations/1795340000000-job-events';
import { HotUpdates1795350000000 } from './migrations/1795350000000-hot-updates';
import { OutboxFinished1795360000000 } from './migrations/1795360000000-outbox-finished';
import { DeadLetterGroups1795370000000 } from './migrations/1795370000000-dead-letter-groups';
import { JobEventAttempts1795380000000 } from './migrations/1795380000000-job-event-attempts';
import { FailedDeliveriesByMessage1795390000000 } from './migrations/1795390000000-failed-deliveries-by-message';
import { AccessLedger1795400000000 } from './migrations/1795400000000-access-ledger';
import { ProviderFeedback1795410000000 } from './migrations/1795410000000-provider-feedback';
import { QuietHoursHeld1795420000000 } from './migrations/1795420000000-quiet-hours-held';
import { PlannerAndVacuum1795430000000 } from './migrations/1795430000000-planner-and-vacuum';
import { UsersByCreation1795440000000 } from './migrations/1795440000000-users-by-creation';
import { RoomForStatusUpdates1795450000000 } from './migrations/1795450000000-room-for-status-updates';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { statementTimeoutSubscriberFor } from './statement-timeout.subscriber';
import { UnnamedStatementClient } from './unnamed-statement.client';

/** Every migration, in order, imported directly: the apps are bundled, so globs would find nothing. */
export const DB_MIGRATIONS = Object.freeze([
  InitialSchema1795330000000,
  JobEvents1795340000000,
  HotUpdates1795350000000,
  OutboxFinished1795360000000,
  DeadLetterGroups1795370000000,
  JobEventAttempts1795380000000,
  FailedDeliveriesByMessage1795390000000,
  AccessLedger1795400000000,
  ProviderFeedback1795410000000,
  QuietHoursHeld1795420000000,
  PlannerAndVacuum1795430000000,
  UsersByCreation1795440000000,
  RoomForStatusUpdates1795450000000,
]);

export interface DataSourceConfig {
  url: string;
  poolSize: number;
  /** Shows in `pg_stat_activity`, so a connection can be traced to its process. */
  applicationName: string;
  logging?: LoggerOptions;
  /** Per-statement limit; 0 disables it (migrations). Default 30 s. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection from the server. Default 5 s. */
  connectTimeoutMs?: number;
  /** `transaction` behind a transaction pooler: no named statements, no session settings. Default session. */
  poolMode?: PoolMode;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export function createDataSourceOptions(config: DataSourceConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: [...DB_ENTITIES],
    migrations: [...DB_MIGRATIONS],
    migrationsTableName: 'migrations',
    // One transaction for the whole run: a failed migration leaves no half-applied schema.
    migrationsTransactionMode: 'all',
    namingStrategy: new SnakeNamingStrategy(),
    // The schema is owned by the migrations, always.
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into Postgres 13+; without this TypeORM defaults to
    // uuid_generate_v4() and runs CREATE EXTENSION on every connect.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: config.logging ?? ['error', 'warn', 'migration'],
    extra: config.poolMode === 'transaction' ? transactionPoolerExtra(config) : sessionExtra(config),
    subscribers: config.poolMode === 'transaction' && statementTimeoutMs(config) > 0 ? [statementTimeoutSubscriberFor(statementTimeoutMs(config))] : [],
  };
}

const statementTimeoutMs = (config: DataSourceConfig): number => config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;

function commonExtra(config: DataSourceConfig): Record<string, unknown> {
  return { max: config.poolSize, application_name: config.applicationName, connectionTimeoutMillis: config.connectTimeoutMs ?? 5_000 };
}

/** A connection is the app's for as long as it is open: settings travel as startup parameters. */
function sessionExtra(config: DataSourceConfig): Record<string, unknown> {
  return {
    ...commonExtra(config),
    statement_timeout: statementTimeoutMs(config),
    // The hot statements are prepared and take arrays (a batch of ids): for those Postgres
    // prices a plan for the actual arrays cheaper than the generic one, so under the default
    // (auto) it plans them again on every run, a millisecond each (perf: planner frames were
    // most of Postgres's time at 500 msgs/s). Generic plans are made once per connection and
    // made again when ANALYZE changes a table's statistics. It holds for unnamed statements
    // too (every query with parameters): an optional filter must still make an index range
    // in a generic plan, so walks write `idAfter` (keyset-page.ts), not `$n IS NULL OR id > $n`.
    options: '-c plan_cache_mode=force_generic_plan',
  };
}

/**
 * A server connection is the app's for one transaction: PgBouncer refuses startup parameters
 * it does not track (statement_timeout, options), and a prepared name would outlive the
 * transaction on a connection the next one may not get. The statement timeout is set per
 * transaction instead; plan_cache_mode only matters for named statements, which are gone.
 */
function transactionPoolerExtra(config: DataSourceConfig): Record<string, unknown> {
  return { ...commonExtra(config), Client: UnnamedStatementClient };
}

/**
 * PgBouncer's refusal of the session settings, told with what to do about it: the URL leads to
 * a transaction pooler while DATABASE_POOL_MODE says session. Other errors pass unchanged.
 */
export function withPoolerHint(error: unknown): unknown {
  if (error instanceof Error && /unsupported startup parameter/.test(error.message)) {
    error.message += ': DATABASE_URL leads to a transaction pooler (PgBouncer); set DATABASE_POOL_MODE=transaction, and DATABASE_DIRECT_URL for migrations';
  }
  return error;
}

/** Arbitrary constant: every process migrating this database takes the same session lock. */
export const MIGRATION_LOCK_KEY = 7_301_946_220_185_001n;

/**
 * Runs pending migrations under a Postgres advisory lock, so several processes starting at
 * once migrate once: the others wait, then find nothing pending. Returns the names it ran.
 */
export async function runMigrations(url: string, applicationName = 'mq-migrate'): Promise<string[]> {
  const dataSource = new DataSource(createDataSourceOptions({ url, poolSize: 2, applicationName, statementTimeoutMs: 0, logging: ['error', 'warn'] }));
  await dataSource.initialize();
  // The lock is held by this connection's session; migrations run on another pooled one.
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.connect();
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      const ran = await dataSource.runMigrations({ transaction: 'all' });
      return ran.map((migration) => migration.name);
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await lockRunner.release();
    await dataSource.destroy();
  }
}

export interface ParsedDatabaseUrl {
  url: URL;
  database: string;
}

// Unquoted-identifier shape plus `-`; anything else is a typo or an injection attempt.
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/** Parses a postgres URL and validates its database name; throws with a message naming what is wrong. */
export function parseDatabaseUrl(rawUrl: string): ParsedDatabaseUrl {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error('Database URL is not a valid URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`Database URL protocol must be postgres: or postgresql:, got ${url.protocol}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!DATABASE_NAME.test(database)) {
    throw new Error(`Invalid database name ${JSON.stringify(database)} in database URL`);
  }
  return { url, database };
}

/** `"name"`, with embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The same server and credentials, another database. */
export function withDatabase(rawUrl: string, database: string): string {
  const url = new URL(rawUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The URL with any password masked, for messages and logs. */
export function redactDatabaseUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

/**
 * Creates the URL's database if it does not exist, connecting to the server's `postgres`
 * database to do so. Returns whether it created it.
 */
export async function ensureDatabaseExists(rawUrl: string): Promise<boolean> {
  const { database } = parseDatabaseUrl(rawUrl);
  const client = new Client({
    connectionString: withDatabase(rawUrl, 'postgres'),
    connectionTimeoutMillis: 5_000,
    application_name: 'mq-ensure-database',
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
      return true;
    } catch (error) {
      // Another process created it between our check and our CREATE: fine.
      // (42P04, or 23505 when both passed the catalog check at the same instant).
      if (isPgError(error, '42P04') || isPgError(error, '23505')) return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

function isPgError(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
