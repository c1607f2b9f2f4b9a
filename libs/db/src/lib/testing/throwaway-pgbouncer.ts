import { ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** A PgBouncer of a test's own, in front of the Postgres of `upstreamUrl`. */
export interface ThrowawayPgBouncer {
  port: number;
  pid: number | undefined;
  /** `upstreamUrl` with the host and port swapped for the pooler's. */
  urlFor(upstreamUrl: string): string;
  /** A row of the admin console's `SHOW STATS` per database. */
  stats(): Promise<PgBouncerDatabaseStats[]>;
  stop(): Promise<void>;
}

export interface PgBouncerDatabaseStats {
  database: string;
  totalXactCount: number;
  totalQueryCount: number;
}

export interface ThrowawayPgBouncerOptions {
  /** The server to pool; its user must be able to sign in without a password (trust auth). */
  upstreamUrl: string;
  poolMode?: 'session' | 'transaction';
  /** Server connections per database and user: small, so transactions really share them. */
  defaultPoolSize?: number;
}

const PGBOUNCER_BIN = process.env['PGBOUNCER_BIN'] || 'pgbouncer';
const START_ATTEMPTS = 5;

function configFor(options: ThrowawayPgBouncerOptions, port: number, authFile: string): string {
  const upstream = new URL(options.upstreamUrl);
  return [
    '[databases]',
    // Any database name a client asks for goes to the same server under that name.
    `* = host=${upstream.hostname} port=${upstream.port || '5432'}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${authFile}`,
    `admin_users = ${decodeURIComponent(upstream.username) || 'postgres'}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.defaultPoolSize ?? 10}`,
    'max_client_conn = 1000',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
}

/** Resolves when the pooler logs that it is up; rejects with its output when it exits first. */
function whenUp(child: ChildProcess, output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.join('').includes('process up')) {
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`pgbouncer exited (${code}) before it was up:\n${output.join('').trim()}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

/**
 * Starts Debian's `pgbouncer` (PGBOUNCER_BIN to use another) on a spare loopback port with a
 * generated config in a temp dir, in the foreground so it dies with `stop()` or this process.
 * Run as root it drops to the `postgres` user, as PgBouncer refuses to run as root.
 */
export async function startThrowawayPgBouncer(options: ThrowawayPgBouncerOptions): Promise<ThrowawayPgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'mq-pgbouncer-'));
  // The pooler may run as another user: it must read the config, and writes nothing.
  await chmod(dir, 0o755);
  const user = decodeURIComponent(new URL(options.upstreamUrl).username) || 'postgres';
  const authFile = join(dir, 'users.txt');
  await writeFile(authFile, `"${user}" ""\n`, { mode: 0o644 });
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    // A random port, and another if it is taken: binding is the only race-free check.
    const port = randomInt(20_000, 60_000);
    const configFile = join(dir, 'pgbouncer.ini');
    await writeFile(configFile, configFor(options, port, authFile), { mode: 0o644 });
    const args = process.getuid?.() === 0 ? ['-u', 'postgres', configFile] : [configFile];
    const child = spawn(PGBOUNCER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const output: string[] = [];
    try {
      await whenUp(child, output);
    } catch (error) {
      lastError = error;
      if (/in use/i.test(output.join(''))) continue;
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return runningPgBouncer(child, port, dir, user);
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

function runningPgBouncer(child: ChildProcess, port: number, dir: string, user: string): ThrowawayPgBouncer {
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.stderr?.resume();
  return {
    port,
    pid: child.pid,
    urlFor(upstreamUrl: string): string {
      const url = new URL(upstreamUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async stats(): Promise<PgBouncerDatabaseStats[]> {
      const client = new Client({ host: '127.0.0.1', port, user, database: 'pgbouncer' });
      await client.connect();
      try {
        const { rows } = await client.query<{ database: string; total_xact_count: string; total_query_count: string }>('SHOW STATS');
        return rows.map((row) => ({ database: row.database, totalXactCount: Number(row.total_xact_count), totalQueryCount: Number(row.total_query_count) }));
      } finally {
        await client.end();
      }
    },
    async stop(): Promise<void> {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
