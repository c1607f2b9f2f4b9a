/*
 * Prints the SQL that would bring DATABASE_URL's schema in line with the entities, as a
 * starting point for a hand-written migration: `nx run db:schema-diff`. Applies nothing.
 */
import { DataSource } from 'typeorm';
import { createDataSourceOptions, redactDatabaseUrl } from '../lib/data-source';
import { databaseEnvSchemaFor } from '../lib/database.config';

async function main(): Promise<void> {
  const env = databaseEnvSchemaFor(process.env['NODE_ENV']).parse(process.env);
  const dataSource = new DataSource(createDataSourceOptions({ url: env.DATABASE_URL, poolSize: 1, applicationName: 'mq-schema-diff', logging: false }));
  await dataSource.initialize();
  try {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    const print = (label: string, queries: readonly { query: string }[]): void => {
      process.stdout.write(`-- ${label} (${queries.length})\n`);
      for (const { query } of queries) process.stdout.write(`${query};\n`);
    };
    process.stderr.write(`schema diff against ${redactDatabaseUrl(env.DATABASE_URL)}\n`);
    print('up', sql.upQueries);
    print('down (reverse order)', [...sql.downQueries].reverse());
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`schema-diff failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
