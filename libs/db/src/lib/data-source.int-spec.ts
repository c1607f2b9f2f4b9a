import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../testing';
import { DB_MIGRATIONS, ensureDatabaseExists, quoteIdentifier, runMigrations, withDatabase } from './data-source';

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('migrates once when two processes start at the same time', async () => {
    const results = await Promise.all([runMigrations(database.directUrl), runMigrations(database.directUrl)]);
    const expected = DB_MIGRATIONS.map((migration) => new migration().name);
    expect(results.map((names) => names.length).sort()).toEqual([0, expected.length]);
    expect(results.flat()).toEqual(expected);
    const recorded = await query<{ name: string }>(database.url, 'SELECT name FROM migrations');
    expect(recorded.map((row) => row.name)).toEqual(expected);
  });

  it('runs nothing when up to date', async () => {
    expect(await runMigrations(database.directUrl)).toEqual([]);
  });

  it('releases its advisory lock', async () => {
    const locks = await query(
      database.url,
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [database.name],
    );
    expect(locks).toEqual([]);
  });
});

describe('ensureDatabaseExists', () => {
  const adminUrl = process.env['TEST_DATABASE_ADMIN_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `mq_test_ensure_${Date.now().toString(36)}`;

  afterAll(async () => {
    await query(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  });

  it('creates a missing database once, even when asked concurrently', async () => {
    const url = withDatabase(adminUrl, name);
    const created = await Promise.all([ensureDatabaseExists(url), ensureDatabaseExists(url)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabaseExists(url)).toBe(false);
    expect(await query(url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('refuses a database name that would need quoting', async () => {
    await expect(ensureDatabaseExists(withDatabase(adminUrl, 'mq"; DROP'))).rejects.toThrow(/Invalid database name/);
  });
});
