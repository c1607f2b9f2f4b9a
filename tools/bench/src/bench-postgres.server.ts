import { RECOMMENDED_POSTGRES_SETTINGS } from '@mq/db';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@mq/db/testing';

/**
 * `--start`: the run's own Postgres server (initdb in a temp dir, on a spare port), with the
 * settings the product expects (README "Postgres settings") and pg_stat_statements for
 * --profile, so a result does not depend on how the machine's own server is tuned (this
 * machine's runs with autovacuum off, for its tests). `--system-postgres` uses that one instead.
 */
let server: ThrowawayPostgres | undefined;

export async function startBenchPostgres(): Promise<ThrowawayPostgres> {
  server = await startThrowawayPostgres({
    settings: { ...RECOMMENDED_POSTGRES_SETTINGS, shared_preload_libraries: 'pg_stat_statements', max_connections: '200' },
  });
  return server;
}

export async function stopBenchPostgres(): Promise<void> {
  const running = server;
  server = undefined;
  await running?.destroy();
}

/** The admin URL test databases are created through: the run's own server, else the machine's (undefined). */
export function benchPostgresAdminUrl(): string | undefined {
  return server?.adminUrl;
}

/** Whether `databaseUrl` is on the run's own server, whose every process then counts as Postgres's CPU. */
export function onBenchPostgres(databaseUrl: string): boolean {
  return server !== undefined && new URL(databaseUrl).port === String(server.port);
}
