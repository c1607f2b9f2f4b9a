import Redis from 'ioredis';
import { sql } from '@mq/system-testing';
import type { RedisTarget } from './bench.cli';
import { CpuShare, round } from './process.probe';

/** pg_stat_database counters of one database (the run's own under --start). */
export interface DatabaseCounters {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
  fetched: number;
  /** Rows written per table (pg_stat_user_tables), to see which writes a message causes. */
  tables: Record<string, { inserted: number; updated: number; deleted: number }>;
}

export async function databaseCounters(databaseUrl: string): Promise<DatabaseCounters | undefined> {
  try {
    // Backends flush their statistics about once a second: a new snapshot forces a fresh read.
    const [row] = await sql<Record<keyof DatabaseCounters, string>>(
      databaseUrl,
      `SELECT xact_commit AS commits, xact_rollback AS rollbacks, tup_inserted AS inserted, tup_updated AS updated,
              tup_deleted AS deleted, tup_fetched AS fetched
       FROM pg_stat_database WHERE datname = current_database()`,
    );
    if (!row) return undefined;
    const tables = await sql<{ relname: string; ins: string; upd: string; del: string }>(
      databaseUrl,
      `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables`,
    );
    return {
      tables: Object.fromEntries(tables.map((t) => [t.relname, { inserted: Number(t.ins), updated: Number(t.upd), deleted: Number(t.del) }])),
      commits: Number(row.commits),
      rollbacks: Number(row.rollbacks),
      inserted: Number(row.inserted),
      updated: Number(row.updated),
      deleted: Number(row.deleted),
      fetched: Number(row.fetched),
    };
  } catch {
    return undefined;
  }
}

/** INFO stats total_commands_processed: the whole server's, so others using it count too. */
export async function redisCommandsProcessed(target: RedisTarget): Promise<number | undefined> {
  const redis = new Redis({ ...target, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const match = /^total_commands_processed:(\d+)/m.exec(await redis.info('stats'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

export interface PerMessageCost {
  messages: number;
  /** CPU milliseconds per delivered message, by process (one core-second = 1000 ms); `server` = api + worker + postgres + redis. */
  cpuMs: { api?: number; worker?: number; postgres?: number; redis?: number; server: number; bench: number };
  /** Messages/s the machine's cores could carry at this server-side cost if nothing else ran on them. */
  cpuBoundPerSecond: number | undefined;
  postgres?: {
    transactions: number;
    rowsInserted: number;
    rowsUpdated: number;
    rowsFetched: number;
    /** Rows written per message, by table (only tables written to). */
    writesByTable: Record<string, { inserted: number; updated: number; deleted: number }>;
  };
  /** Redis commands per message (server-wide counter). */
  redisCommands?: number;
}

export function perMessageCost(
  messages: number,
  cpu: CpuShare,
  dbStart: DatabaseCounters | undefined,
  dbEnd: DatabaseCounters | undefined,
  redisStart: number | undefined,
  redisEnd: number | undefined,
  cores = 2,
): PerMessageCost {
  const per = (share: number | undefined): number | undefined =>
    share === undefined || messages === 0 ? undefined : round((share * cpu.seconds * 1000) / messages, 2);
  const cpuMs = {
    api: per(cpu.api),
    worker: per(cpu.worker),
    postgres: per(cpu.postgres),
    redis: per(cpu.redis),
    server: 0,
    bench: per(cpu.bench) ?? 0,
  };
  cpuMs.server = round((cpuMs.api ?? 0) + (cpuMs.worker ?? 0) + (cpuMs.postgres ?? 0) + (cpuMs.redis ?? 0), 2);
  const ratio = (a: number, b: number): number => (messages === 0 ? 0 : round((b - a) / messages, 1));
  return {
    messages,
    cpuMs,
    cpuBoundPerSecond: cpuMs.server > 0 ? round((cores * 1000) / cpuMs.server) : undefined,
    ...(dbStart && dbEnd
      ? {
          postgres: {
            transactions: ratio(dbStart.commits + dbStart.rollbacks, dbEnd.commits + dbEnd.rollbacks),
            rowsInserted: ratio(dbStart.inserted, dbEnd.inserted),
            rowsUpdated: ratio(dbStart.updated, dbEnd.updated),
            rowsFetched: ratio(dbStart.fetched, dbEnd.fetched),
            writesByTable: tableWrites(dbStart, dbEnd, messages),
          },
        }
      : {}),
    ...(redisStart !== undefined && redisEnd !== undefined ? { redisCommands: ratio(redisStart, redisEnd) } : {}),
  };
}

function tableWrites(start: DatabaseCounters, end: DatabaseCounters, messages: number): Record<string, { inserted: number; updated: number; deleted: number }> {
  const out: Record<string, { inserted: number; updated: number; deleted: number }> = {};
  if (messages === 0) return out;
  for (const [table, after] of Object.entries(end.tables)) {
    const before = start.tables[table] ?? { inserted: 0, updated: 0, deleted: 0 };
    const delta = {
      inserted: round((after.inserted - before.inserted) / messages, 2),
      updated: round((after.updated - before.updated) / messages, 2),
      deleted: round((after.deleted - before.deleted) / messages, 2),
    };
    if (delta.inserted + delta.updated + delta.deleted > 0) out[table] = delta;
  }
  return out;
}
