import { DataSource, QueryFailedError } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../testing';
import { createDataSourceOptions } from './data-source';
import { loadMessages } from './message-rows.helper';
import { preparedQuery } from './prepared-query';

describe('preparedQuery', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection: what it has prepared is what pg_prepared_statements shows.
    dataSource = new DataSource(
      createDataSourceOptions({ url: database.url, poolMode: database.poolMode, poolSize: 1, applicationName: 'prepared-spec', logging: false }),
    );
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const prepared = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'mq\\_%'`)) as { n: number }[];

  it('answers rows like a plain query, preparing each text once per connection (none behind a transaction pooler)', async () => {
    const text = 'SELECT $1::int + 1 AS n';
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => preparedQuery<{ n: number }>(dataSource, text, [i])));
    expect(answers.map((rows) => rows[0]?.n)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(await prepared()).toEqual([{ n: database.poolMode === 'session' ? 1 : 0 }]);
  });

  it('runs on the transaction’s connection when given its manager, and sees its writes', async () => {
    const seen = await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO users (email, display_name, password_hash) VALUES ('tx@prepared.test', 'Tx', 'x')`);
      return preparedQuery<{ n: number }>(manager, `SELECT count(*)::int AS n FROM users WHERE email = $1`, ['tx@prepared.test']);
    });
    expect(seen).toEqual([{ n: 1 }]);
    await expect(
      dataSource.transaction(async (manager) => {
        await preparedQuery(manager, `INSERT INTO users (email, display_name, password_hash) VALUES ($1, 'Gone', 'x')`, ['rolled@prepared.test']);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await preparedQuery(dataSource, 'SELECT 1 FROM users WHERE email = $1', ['rolled@prepared.test'])).toEqual([]);
  });

  it('fails with QueryFailedError carrying the driver error, as manager.query does', async () => {
    const insert = `INSERT INTO users (email, display_name, password_hash) VALUES ($1, 'Dup', 'x')`;
    await preparedQuery(dataSource, insert, ['dup@prepared.test']);
    const error: unknown = await preparedQuery(dataSource, insert, ['dup@prepared.test']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError).driverError).toMatchObject({ code: '23505' });
  });

  it('loads message rows as entities, keyed by id, and nothing for an unknown id', async () => {
    const [user] = (await dataSource.query(
      `INSERT INTO users (email, display_name, password_hash) VALUES ('rows@prepared.test', 'Rows', 'x') RETURNING id`,
    )) as { id: string }[];
    const [conversation] = (await dataSource.query(`INSERT INTO conversations (type, title, created_by) VALUES ('group', 'rows', $1) RETURNING id`, [
      user?.id,
    ])) as { id: string }[];
    const [message] = (await dataSource.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status)
       VALUES ($1, 7, $2, '\\x0102', '\\x03', '\\x04', 1, 'queued') RETURNING id`,
      [conversation?.id, user?.id],
    )) as { id: string }[];
    const unknown = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
    const loaded = await loadMessages(dataSource, [message?.id as string, unknown]);
    expect([...loaded.keys()]).toEqual([message?.id]);
    expect(loaded.get(message?.id as string)).toMatchObject({
      conversationId: conversation?.id,
      seq: 7,
      senderId: user?.id,
      ciphertext: Buffer.from([1, 2]),
      status: 'queued',
      deletedAt: null,
    });
    expect(await loadMessages(dataSource, [])).toEqual(new Map());
  });
});
