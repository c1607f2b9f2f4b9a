import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { createTestDatabase, TestDatabase, ThrowawayPgBouncer, startThrowawayPgBouncer } from '../testing';
import { createDataSourceOptions } from './data-source';
import { DbModule } from './db.module';
import { preparedQuery } from './prepared-query';

// Why DATABASE_POOL_MODE=transaction exists, and that it works: a PgBouncer in transaction mode
// with ONE server connection, so every client's transactions share it.
describe('behind PgBouncer in transaction mode', () => {
  let database: TestDatabase;
  let pgBouncer: ThrowawayPgBouncer;
  let pooledUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    pgBouncer = await startThrowawayPgBouncer({ upstreamUrl: database.directUrl, poolMode: 'transaction', defaultPoolSize: 1 });
    pooledUrl = pgBouncer.urlFor(database.directUrl);
  });

  afterAll(async () => {
    await pgBouncer?.stop();
    await database?.drop();
  });

  const openDataSource = (poolMode: 'session' | 'transaction', statementTimeoutMs?: number) =>
    new DataSource(
      createDataSourceOptions({ url: pooledUrl, poolMode, poolSize: 4, statementTimeoutMs, applicationName: 'pooler-spec', logging: false }),
    ).initialize();

  it('refuses the session settings a direct connection sends at startup, and the app says what to set', async () => {
    await expect(openDataSource('session')).rejects.toThrow(/unsupported startup parameter/);
    const booting = Test.createTestingModule({ imports: [DbModule.forRoot({ url: pooledUrl, poolSize: 2, applicationName: 'pooler-spec' })] }).compile();
    await expect(booting).rejects.toThrow(/unsupported startup parameter: .*set DATABASE_POOL_MODE=transaction/);
  });

  it('breaks named prepared statements once two clients share a server connection', async () => {
    const clients = [new Client({ connectionString: pooledUrl }), new Client({ connectionString: pooledUrl })];
    await Promise.all(clients.map((client) => client.connect()));
    try {
      const named = { name: 'mq_spec_statement', text: 'SELECT $1::int AS n', values: [1] };
      await clients[0]?.query(named);
      // The second client has not prepared it, so it sends the Parse again, to the same server session.
      await expect(clients[1]?.query(named)).rejects.toThrow(/prepared statement "mq_spec_statement" already exists/);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('runs the hot statements and transactions of many connections over one server connection', async () => {
    const dataSource = await openDataSource('transaction');
    try {
      const text = 'SELECT $1::int + 1 AS n';
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => preparedQuery<{ n: number }>(dataSource, text, [i])));
      expect(answers.map((rows) => rows[0]?.n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const inserted = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          dataSource.transaction(async (manager) => {
            await preparedQuery(manager, `INSERT INTO users (email, display_name, password_hash) VALUES ($1, 'Pooled', 'x')`, [`pooled-${i}@pooler.test`]);
            return preparedQuery<{ n: number }>(manager, `SELECT count(*)::int AS n FROM users WHERE email = $1`, [`pooled-${i}@pooler.test`]);
          }),
        ),
      );
      expect(inserted.every((rows) => rows[0]?.n === 1)).toBe(true);
      const [stats] = (await pgBouncer.stats()).filter((row) => row.database === database.name);
      expect(stats?.totalXactCount).toBeGreaterThanOrEqual(220);
    } finally {
      await dataSource.destroy();
    }
  });

  it('limits each transaction’s statements with SET LOCAL, leaving the shared server connection as it was', async () => {
    const dataSource = await openDataSource('transaction', 200);
    try {
      const error: unknown = await dataSource.transaction((manager) => manager.query('SELECT pg_sleep(2)')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as QueryFailedError).driverError).toMatchObject({ code: '57014' });
      // Outside a transaction: the one server connection's own setting, untouched.
      expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
      expect(await dataSource.transaction((manager) => manager.query('SHOW statement_timeout'))).toEqual([{ statement_timeout: '200ms' }]);
    } finally {
      await dataSource.destroy();
    }
  });
});
