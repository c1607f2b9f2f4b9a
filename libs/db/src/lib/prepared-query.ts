import { createHash } from 'node:crypto';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const statementNames = new Map<string, string>();

/** The same text always gets the same name: each pooled connection prepares it once. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `mq_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

async function connectionOf(db: DataSource | EntityManager): Promise<PgQueryable> {
  if (db instanceof EntityManager && db.queryRunner && !db.queryRunner.isReleased) {
    // Inside the caller's transaction: its connection.
    return (await (db.queryRunner as PostgresQueryRunner).connect()) as PgQueryable;
  }
  const dataSource = db instanceof EntityManager ? db.connection : db;
  return (dataSource.driver as PostgresDriver).master as PgQueryable;
}

/**
 * Runs a hot-path statement as a named prepared statement: Postgres parses it once per
 * connection and soon reuses its plan. Planning was half of the database time of a message
 * (pg_stat_statements during `npm run bench`). Pass the transaction's manager inside one.
 * Errors are TypeORM's QueryFailedError, as from `manager.query`. Returns the rows. Behind a
 * transaction pooler the pool's connections send it unnamed (unnamed-statement.client.ts).
 */
export async function preparedQuery<T>(db: DataSource | EntityManager, text: string, values: readonly unknown[]): Promise<T[]> {
  const connection = await connectionOf(db);
  try {
    const result = await connection.query({ name: statementName(text), text, values: [...values] });
    return result.rows as T[];
  } catch (error) {
    throw new QueryFailedError(text, [...values], error as Error);
  }
}
