import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, quoteIdentifier, runMigrations, withDatabase } from './lib/data-source';
import type { PoolMode } from './lib/database.config';
import { ThrowawayPgBouncer, startThrowawayPgBouncer } from './lib/testing/throwaway-pgbouncer';

export * from './lib/testing/throwaway-pgbouncer';
export * from './lib/testing/throwaway-postgres';
export * from './lib/testing/wait.helper';

/** Where test databases are created; override for a Postgres elsewhere. */
export const DEFAULT_TEST_DATABASE_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection URL of the new, migrated database: through the pooler when there is one. */
  url: string;
  /** Straight to Postgres: for migrations, and what DATABASE_DIRECT_URL gets. */
  directUrl: string;
  /** How `url`'s connections are pooled: what DATABASE_POOL_MODE gets. */
  poolMode: PoolMode;
  /** The PgBouncer's process, when there is one (the bench counts its CPU with Postgres's). */
  poolerPid?: number;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Run the migrations into it (default true). */
  migrate?: boolean;
  /** `pgbouncer`: reached through a PgBouncer of its own in transaction mode. Default TEST_POSTGRES_POOLER, else none. */
  pooler?: 'pgbouncer' | 'none';
  /** The server to create it on (a superuser URL of its `postgres` database). Default TEST_DATABASE_ADMIN_URL, else 127.0.0.1:5432. */
  adminUrl?: string;
}

async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, application_name: 'mq-test-database' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, uniquely named database (`mq_test_<random>`) with the migrations applied, so
 * integration test files can run in parallel without sharing state. Call `drop()` in afterAll.
 * With TEST_POSTGRES_POOLER=pgbouncer the database is reached through a PgBouncer of its own in
 * transaction mode (`url`, poolMode `transaction`), as a deployment behind a pooler reaches it;
 * migrations still go straight to Postgres (`directUrl`).
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? (process.env['TEST_DATABASE_ADMIN_URL'] || DEFAULT_TEST_DATABASE_ADMIN_URL);
  const pooler = options.pooler ?? (process.env['TEST_POSTGRES_POOLER'] || 'none');
  if (pooler !== 'none' && pooler !== 'pgbouncer') throw new Error(`TEST_POSTGRES_POOLER must be pgbouncer or none, got ${pooler}`);
  const name = `mq_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  const directUrl = withDatabase(adminUrl, name);
  let pgBouncer: ThrowawayPgBouncer | undefined;
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await pgBouncer?.stop();
    // WITH (FORCE) terminates whatever a failed test left connected (Postgres 13+).
    await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
  };
  try {
    if (options.migrate ?? true) await runMigrations(directUrl, 'mq-test-migrate');
    if (pooler === 'pgbouncer') pgBouncer = await startThrowawayPgBouncer({ upstreamUrl: adminUrl, poolMode: 'transaction' });
  } catch (error) {
    await drop();
    throw error;
  }
  if (!pgBouncer) return { url: directUrl, directUrl, poolMode: 'session', name, drop };
  return { url: pgBouncer.urlFor(directUrl), directUrl, poolMode: 'transaction', poolerPid: pgBouncer.pid, name, drop };
}

/** The environment an app gets to use a test database: its URL, pool mode and direct URL. */
export function testDatabaseEnv(database: TestDatabase): Record<'DATABASE_URL' | 'DATABASE_DIRECT_URL' | 'DATABASE_POOL_MODE', string> {
  return { DATABASE_URL: database.url, DATABASE_DIRECT_URL: database.directUrl, DATABASE_POOL_MODE: database.poolMode };
}

/** A migrated database of its own and a DataSource on it, for a repository's integration test. */
export interface RepositoryTestDatabase {
  database: TestDatabase;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function openRepositoryTestDatabase(applicationName: string): Promise<RepositoryTestDatabase> {
  const database = await createTestDatabase();
  const dataSource = await new DataSource(
    createDataSourceOptions({ url: database.url, poolMode: database.poolMode, poolSize: 3, applicationName, logging: false }),
  ).initialize();
  return {
    database,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}

export async function seedUser(dataSource: DataSource, name = `user-${randomUUID().slice(0, 8)}`): Promise<string> {
  const [row]: { id: string }[] = await dataSource.query(`INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, 'x') RETURNING id`, [
    `${name.toLowerCase()}@example.com`,
    name,
  ]);
  return (row as { id: string }).id;
}

/** A group conversation of these users, created by the first. */
export async function seedConversation(dataSource: DataSource, userIds: readonly string[]): Promise<string> {
  const [row]: { id: string }[] = await dataSource.query(`INSERT INTO conversations (type, created_by) VALUES ('group', $1) RETURNING id`, [userIds[0]]);
  const id = (row as { id: string }).id;
  await dataSource.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [id, userIds]);
  return id;
}

/** A queued message of the sender in the conversation, with a queued delivery to each recipient. */
export async function seedMessage(dataSource: DataSource, conversationId: string, senderId: string, recipientIds: readonly string[]): Promise<string> {
  const [row]: { id: string }[] = await dataSource.query(
    `WITH seq AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
     INSERT INTO messages (conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status)
     SELECT $1, last_seq, $2, '\\x00'::bytea, '\\x00'::bytea, '\\x00'::bytea, 1, 'queued' FROM seq RETURNING id`,
    [conversationId, senderId],
  );
  const id = (row as { id: string }).id;
  await dataSource.query(`INSERT INTO message_deliveries (message_id, recipient_id) SELECT $1, unnest($2::uuid[])`, [id, recipientIds]);
  return id;
}

/**
 * Runs one statement against a test database by its URL, on a short-lived connection: how
 * system tests, the bench and the drills set up rows or read what the apps wrote. The only
 * place outside the repositories that runs SQL, and only for tests.
 */
export async function queryDatabase<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, application_name: 'mq-test-query' });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
