import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './wait.helper';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ThrowawayPostgres {
  port: number;
  /** Superuser URL of the `postgres` database (where test databases are created). */
  adminUrl: string;
  /** Where the server log is, for a failure's report. */
  logFile: string;
  start(): Promise<void>;
  /** `immediate`: no shutdown checkpoint, crash recovery at the next start (like a kill). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  /** Server settings (`-c name=value`), e.g. RECOMMENDED_POSTGRES_SETTINGS. */
  settings?: Readonly<Record<string, string>>;
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
 * initdb refuses to run as root: then it runs as the `postgres` OS user. fsync stays on: an
 * immediate stop is a real crash-recovery test.
 */
export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const tool = (name: string): string => (bin ? path.join(bin, name) : name);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mq-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
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
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const settings = { listen_addresses: '127.0.0.1', max_connections: '100', ...options.settings };
  const flags = [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
  const handle: ThrowawayPostgres = {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    logFile,
    async start() {
      run('pg_ctl', ['-D', data, '-o', flags, '-l', logFile, '-w', '-t', '60', 'start']);
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
