import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { quoteIdentifier, runMigrations, withDatabase } from './lib/data-source';

/** Where test databases are created; override for a Postgres elsewhere. */
export const DEFAULT_TEST_DATABASE_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection URL of the new, migrated database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Run the migrations into it (default true). */
  migrate?: boolean;
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
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = process.env['TEST_DATABASE_ADMIN_URL'] || DEFAULT_TEST_DATABASE_ADMIN_URL;
  const name = `mq_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  const url = withDatabase(adminUrl, name);
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    // WITH (FORCE) terminates whatever a failed test left connected (Postgres 13+).
    await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
  };
  try {
    if (options.migrate ?? true) await runMigrations(url, 'mq-test-migrate');
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, name, drop };
}
