import Redis from 'ioredis';
import { sql } from '@mq/system-testing';
import type { RedisTarget } from './bench.cli';
import { describeError, round } from './process.probe';

export interface RedisCommandCost {
  command: string;
  callsPerMessage: number;
  usecPerMessage: number;
  usecPerCall: number;
}

/** `INFO commandstats` over one direct run's window, per delivered message (server-wide counters). */
export interface RedisCommandStats {
  messages: number;
  callsPerMessage: number;
  usecPerMessage: number;
  /** The most expensive commands by time. */
  top: RedisCommandCost[];
}

export interface StatementCost {
  /** The first 80 characters, whitespace collapsed. */
  query: string;
  callsPerMessage: number;
  meanMs: number;
  totalMsPerMessage: number;
  rowsPerCall: number;
  /** shared_blks_hit + shared_blks_read per call. */
  blocksPerCall: number;
}

export type PgStatements =
  { available: true; messages: number; calls: number; totalMsPerMessage: number; top: StatementCost[] } | { available: false; reason: string };

export interface QueryStats {
  redis?: RedisCommandStats;
  postgres?: PgStatements;
}

type CommandCounters = Map<string, { calls: number; usec: number }>;

/** `cmdstat_get:calls=1,usec=2,usec_per_call=2.00,...` lines into calls and usec per command. */
export function parseCommandstats(info: string): CommandCounters {
  const out: CommandCounters = new Map();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    out.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return out;
}

/** The difference of two readings, per message, the top commands by time. */
export function commandstatsDelta(before: CommandCounters, after: CommandCounters, messages: number, top = 12): RedisCommandStats | undefined {
  if (messages <= 0) return undefined;
  const costs: RedisCommandCost[] = [];
  let calls = 0;
  let usec = 0;
  for (const [command, end] of after) {
    const start = before.get(command) ?? { calls: 0, usec: 0 };
    const dCalls = end.calls - start.calls;
    const dUsec = end.usec - start.usec;
    // A CONFIG RESETSTAT by someone else in between would make the deltas negative: such a command is left out.
    if (dCalls <= 0 || dUsec < 0) continue;
    calls += dCalls;
    usec += dUsec;
    costs.push({ command, callsPerMessage: round(dCalls / messages, 4), usecPerMessage: round(dUsec / messages, 2), usecPerCall: round(dUsec / dCalls, 2) });
  }
  costs.sort((a, b) => b.usecPerMessage - a.usecPerMessage);
  return { messages, callsPerMessage: round(calls / messages, 2), usecPerMessage: round(usec / messages, 1), top: costs.slice(0, top) };
}

async function readCommandstats(target: RedisTarget): Promise<CommandCounters | undefined> {
  const redis = new Redis({ ...target, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return parseCommandstats(await redis.info('commandstats'));
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

export const PG_STAT_STATEMENTS_HOW_TO =
  "as a superuser, `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';` (keep what the list already holds, comma-separated), " +
  'then restart Postgres: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart`';

/** The run's database only: a reset of the whole server would wipe what other users of it are measuring. */
const RUN_DBID = 'SELECT oid FROM pg_database WHERE datname = current_database()';

/** Loaded at server start and installed in the run's database; then its counters are zeroed. Else why not. */
async function startPgStatements(databaseUrl: string): Promise<string | undefined> {
  try {
    const [preload] = await sql<{ shared_preload_libraries: string }>(databaseUrl, 'SHOW shared_preload_libraries');
    const libraries = (preload?.shared_preload_libraries ?? '').split(',').map((l) => l.trim());
    if (!libraries.includes('pg_stat_statements')) return `shared_preload_libraries is "${libraries.join(', ')}", without pg_stat_statements`;
    await sql(databaseUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    if ((await sql(databaseUrl, "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).length === 0) return 'the extension is not installed';
    await sql(databaseUrl, `SELECT pg_stat_statements_reset(0, (${RUN_DBID}), 0)`);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

interface StatementRow {
  query: string;
  calls: string;
  total_ms: number;
  mean_ms: number;
  rows: string;
  blocks: string;
}

async function readPgStatements(databaseUrl: string, messages: number, top = 15): Promise<PgStatements> {
  if (messages <= 0) return { available: false, reason: 'no message delivered in the window' };
  try {
    // The bench's own reads of the statistics views are not the pipeline's work.
    const where = `dbid = (${RUN_DBID}) AND query NOT ILIKE '%pg_stat%'`;
    const [sum] = await sql<{ calls: string | null; total_ms: number | null }>(
      databaseUrl,
      `SELECT sum(calls) AS calls, sum(total_exec_time) AS total_ms FROM pg_stat_statements WHERE ${where}`,
    );
    const rows = await sql<StatementRow>(
      databaseUrl,
      `SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows, shared_blks_hit + shared_blks_read AS blocks
       FROM pg_stat_statements WHERE ${where} ORDER BY total_exec_time DESC LIMIT ${top}`,
    );
    return {
      available: true,
      messages,
      calls: Number(sum?.calls ?? 0),
      totalMsPerMessage: round((sum?.total_ms ?? 0) / messages, 4),
      top: rows.map((r) => {
        const calls = Math.max(1, Number(r.calls));
        return {
          query: r.query.replace(/\s+/g, ' ').trim().slice(0, 80),
          callsPerMessage: round(calls / messages, 4),
          meanMs: round(r.mean_ms, 3),
          totalMsPerMessage: round(r.total_ms / messages, 4),
          rowsPerCall: round(Number(r.rows) / calls, 2),
          blocksPerCall: round(Number(r.blocks) / calls, 1),
        };
      }),
    };
  } catch (error) {
    return { available: false, reason: describeError(error) };
  }
}

/**
 * `--profile`: Redis commandstats (each direct run) and, for one run, Postgres statements, over a
 * measured window. Call at its start; `finish` with the messages delivered in it.
 */
export async function startQueryStats(
  redis: RedisTarget,
  databaseUrl: string | undefined,
  statements: boolean,
): Promise<{ finish(messages: number): Promise<QueryStats> }> {
  const pgReason = statements ? (databaseUrl ? await startPgStatements(databaseUrl) : 'no database of the run’s own (needs --start)') : undefined;
  const before = await readCommandstats(redis);
  return {
    async finish(messages: number): Promise<QueryStats> {
      const after = await readCommandstats(redis);
      const redisStats = before && after ? commandstatsDelta(before, after, messages) : undefined;
      let postgres: PgStatements | undefined;
      if (statements)
        postgres = pgReason !== undefined || !databaseUrl ? { available: false, reason: pgReason ?? '' } : await readPgStatements(databaseUrl, messages);
      return { ...(redisStats ? { redis: redisStats } : {}), ...(postgres ? { postgres } : {}) };
    },
  };
}

/** The settings README "Postgres settings" asks for, as a session of the run's database sees them (jit is set per database). */
const POSTGRES_SETTINGS = ['autovacuum', 'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'synchronous_commit', 'jit'] as const;

export async function postgresSettings(databaseUrl: string): Promise<Record<string, string>> {
  const rows = await sql<{ name: string; value: string }>(
    databaseUrl,
    `SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY array_position($1::text[], name)`,
    [[...POSTGRES_SETTINGS]],
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}
