import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { eventually } from '@mq/queue/testing';
import { freePort } from '@mq/system-testing';

export interface ThrowawayRedis {
  port: number;
  start(): Promise<void>;
  /** SIGTERM: Redis writes its AOF and exits (a restart). SIGKILL: a crash. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A private redis-server on a spare port. `persistent`: AOF with fsync every second, as in
 * docker-compose.yml (a restart keeps the queues); otherwise nothing is kept (a restart is a
 * flush, like @mq/queue/testing's startThrowawayRedis).
 */
export async function startRedis(persistent: boolean): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mq-drill-redis-'));
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--maxmemory-policy', 'noeviction'];
  args.push(...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']));
  const ping = async (): Promise<boolean> => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // A refused connection while the server starts is expected: without a listener ioredis prints it.
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      // Loading the AOF answers LOADING errors until done: only PONG counts.
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  const handle: ThrowawayRedis = {
    port,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await eventually(async () => ((await ping()) ? true : undefined), `redis-server on port ${port}`, 15_000);
    },
    async stop(signal) {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill(signal);
      });
    },
    async destroy() {
      await handle.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

export interface ThrowawayPostgres {
  port: number;
  /** Superuser URL of the `postgres` database (where test databases are created). */
  adminUrl: string;
  start(): Promise<void>;
  /** `immediate`: no shutdown checkpoint, crash recovery at the next start (like a kill). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server binaries: Debian's /usr/lib/postgresql/<v>/bin, else PATH. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir, on a spare port, trust auth).
 * initdb refuses to run as root: then it runs as the `postgres` OS user.
 */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const tool = (name: string): string => (bin ? path.join(bin, name) : name);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mq-drill-pg-'));
  const data = path.join(dir, 'data');
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    user = { uid, gid };
  }
  const run = (command: string, args: string[]): void => {
    execFileSync(tool(command), args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...(user ?? {}) });
  };
  // fsync stays on: an immediate stop must be a real crash-recovery test.
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const handle: ThrowawayPostgres = {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    },
    async stop(mode) {
      try {
        run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      } catch {
        // Not running.
      }
    },
    async destroy() {
      await handle.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
