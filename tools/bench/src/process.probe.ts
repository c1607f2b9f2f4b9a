import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import Redis from 'ioredis';
import { sql } from '@mq/system-testing';
import { onBenchPostgres } from './bench-postgres.server';
import type { RedisTarget } from './bench.cli';

/** Kernel clock ticks per second, for /proc/<pid>/stat times (100 on every common Linux). */
const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Resident set size in bytes from /proc/<pid>/status, or undefined if the process is gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces), or undefined if the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used so far. */
export function readCpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : undefined;
}

/** User + system CPU seconds of a process's children that have exited and been waited for (cutime + cstime). */
function readExitedChildrenCpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS : undefined;
}

function parentPid(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : undefined;
}

/** Pids whose command is `name` (e.g. every postgres backend of the machine). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

/** Busy and total jiffies of the whole machine, for utilisation over an interval. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** The soft limit on open files of a process, this one by default (each socket costs one). */
export function openFileLimit(pid: number | 'self' = 'self'): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!match) return undefined;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** One value of a Prometheus text exposition (unlabelled series), e.g. process_resident_memory_bytes. */
export async function scrapeMetric(baseUrl: string, metric: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    const match = new RegExp(`^${metric}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(await response.text());
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RedisStats {
  usedMemory: number;
  pid: number | undefined;
}

/** `INFO memory` used_memory and the server's pid (to read its CPU time when it runs here). */
export async function redisStats(target: RedisTarget): Promise<RedisStats | undefined> {
  const redis = new Redis({ ...target, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info();
    const usedMemory = /^used_memory:(\d+)/m.exec(info)?.[1];
    const pid = /^process_id:(\d+)/m.exec(info)?.[1];
    return { usedMemory: Number(usedMemory ?? 0), pid: pid ? Number(pid) : undefined };
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Processes whose CPU time is followed phase by phase. */
export interface CpuSubjects {
  api?: number;
  worker?: number;
  redis?: number;
  /** The run's own database, straight to Postgres: only its backends count (the server may be shared); otherwise every postgres process. */
  databaseUrl?: string;
  /** The PgBouncer in front of it (--pgbouncer): counted with Postgres, as the same tier. */
  poolerPid?: number;
}

export interface CpuSample {
  api?: number;
  worker?: number;
  redis?: number;
  /** CPU seconds per postgres pid. */
  postgres: Map<number, number>;
  /**
   * The run's own server: CPU seconds of its processes that have exited (autovacuum workers,
   * closed connections), which no live pid shows.
   */
  postgresExited?: number;
  bench: number;
  machineBusy: number;
  machineTotal: number;
  at: number;
}

async function postgresPids(databaseUrl: string | undefined): Promise<{ pids: number[]; postmaster?: number }> {
  if (!databaseUrl) return { pids: pidsNamed('postgres') };
  try {
    // The run's own server: all of it (checkpointer, WAL writer and autovacuum included); a shared one: this database's backends.
    const query = onBenchPostgres(databaseUrl)
      ? 'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()'
      : 'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()';
    const rows = await sql<{ pid: number }>(databaseUrl, query);
    const pids = rows.map((r) => r.pid);
    // Every server process is the postmaster's child: the first one still alive names it.
    const postmaster = onBenchPostgres(databaseUrl) ? pids.map(parentPid).find((pid) => pid !== undefined && pid > 1) : undefined;
    return { pids, postmaster };
  } catch {
    return { pids: [] };
  }
}

export async function sampleCpu(subjects: CpuSubjects): Promise<CpuSample> {
  const server = await postgresPids(subjects.databaseUrl);
  const pids = [...server.pids, ...(server.postmaster ? [server.postmaster] : []), ...(subjects.poolerPid ? [subjects.poolerPid] : [])];
  const machine = machineCpu();
  const own = process.cpuUsage();
  const postgres = new Map<number, number>();
  for (const pid of pids) {
    const seconds = readCpuSeconds(pid);
    if (seconds !== undefined) postgres.set(pid, seconds);
  }
  return {
    api: subjects.api ? readCpuSeconds(subjects.api) : undefined,
    worker: subjects.worker ? readCpuSeconds(subjects.worker) : undefined,
    redis: subjects.redis ? readCpuSeconds(subjects.redis) : undefined,
    postgres,
    postgresExited: server.postmaster === undefined ? undefined : readExitedChildrenCpuSeconds(server.postmaster),
    bench: (own.user + own.system) / 1e6,
    machineBusy: machine.busy,
    machineTotal: machine.total,
    at: performance.now(),
  };
}

/** CPU used between two samples, in cores (1.0 = one core busy the whole time). */
export interface CpuShare {
  seconds: number;
  api?: number;
  worker?: number;
  redis?: number;
  /** The run's own server, its exited processes included (with --start); a shared server's backends of the run's database; or every postgres process. */
  postgres?: number;
  bench: number;
  /** The whole machine, 0..cores. */
  machine: number;
  /** The machine minus everything above: other work on this machine competing for the cores. */
  other: number;
}

export function cpuBetween(a: CpuSample, b: CpuSample, cores: number): CpuShare {
  const seconds = (b.at - a.at) / 1000;
  const share = (x: number | undefined, y: number | undefined): number | undefined =>
    x === undefined || y === undefined || seconds <= 0 ? undefined : round((y - x) / seconds, 2);
  let postgresSeconds = 0;
  // A backend that appeared between the samples started from zero.
  for (const [pid, end] of b.postgres) postgresSeconds += end - (a.postgres.get(pid) ?? 0);
  if (a.postgresExited !== undefined && b.postgresExited !== undefined) {
    // What exited in between counts whole in the server's exited children: less what it had used by the first sample.
    postgresSeconds += b.postgresExited - a.postgresExited;
    for (const [pid, start] of a.postgres) if (!b.postgres.has(pid)) postgresSeconds -= start;
  }
  const machineTotal = b.machineTotal - a.machineTotal;
  const machine = machineTotal > 0 ? round(((b.machineBusy - a.machineBusy) / machineTotal) * cores, 2) : 0;
  const result: CpuShare = {
    seconds: round(seconds, 1),
    api: share(a.api, b.api),
    worker: share(a.worker, b.worker),
    redis: share(a.redis, b.redis),
    postgres: seconds > 0 ? round(postgresSeconds / seconds, 2) : undefined,
    bench: share(a.bench, b.bench) ?? 0,
    machine,
    other: 0,
  };
  const ours = (result.api ?? 0) + (result.worker ?? 0) + (result.redis ?? 0) + (result.postgres ?? 0) + result.bench;
  result.other = round(Math.max(0, machine - ours), 2);
  return result;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** An error's message with its causes (fetch hides the socket error two levels down). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof Error) {
      const code = (current as Error & { code?: unknown }).code;
      parts.push(typeof code === 'string' && !current.message.includes(code) ? `${current.message} [${code}]` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' <- ').slice(0, 200);
}
