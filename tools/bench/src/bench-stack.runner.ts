import { ChildProcess, StdioOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testDatabaseEnv, type TestDatabase } from '@mq/db/testing';
import { deleteQueueKeys, eventually, testQueueConfig, uniqueQueuePrefix, type ThrowawayCluster } from '@mq/queue/testing';
import { freePort } from '@mq/system-testing';
import type { RedisTarget } from './bench.cli';
import { ProbeCommand, ProbeReply, isProbeReply, probeExecArgv } from './app-probe';
import { benchPostgresAdminUrl } from './bench-postgres.server';

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export interface StartOptions {
  redis: RedisTarget;
  logLevel: string;
  profile: boolean;
  /** BATCH_LINGER_MS of the started api; undefined: its default. */
  batchLingerMs?: number;
  /** Run on this Redis Cluster (REDIS_NODES) instead of `redis`; the caller removes it. */
  cluster?: ThrowawayCluster;
  /** QUEUE_PREFIX; default one of the run's own. */
  queuePrefix?: string;
  /** The database through a PgBouncer of its own in transaction mode. */
  pgbouncer?: boolean;
  /** More settings of both apps (e.g. tracing's). */
  env?: Record<string, string>;
}

/** One built app run as a child process; its output goes to a log file (kept on failure). */
class BuiltApp {
  private child?: ChildProcess;
  private nextProbeId = 0;

  constructor(
    readonly name: 'api' | 'worker',
    private readonly script: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly execArgv: string[],
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const script = path.join(WORKSPACE_ROOT, this.script);
    if (!existsSync(script)) throw new Error(`${this.script} is missing: build first (npx nx run-many -t build -p api worker)`);
    const log = openSync(this.logFile, 'a');
    try {
      // The IPC channel drives the probe preload (memory after GC, CPU profiles).
      const stdio: StdioOptions = ['ignore', log, log, 'ipc'];
      this.child = spawn(process.execPath, [...this.execArgv, script], { cwd: WORKSPACE_ROOT, env: this.env, stdio });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}:\n${this.tail()}`);
        return (await fetch(`${this.url}/health`).then(
          (r) => r.ok,
          () => false,
        ))
          ? true
          : undefined;
      },
      `${this.name} to answer /health`,
      60_000,
    );
  }

  /** Asks the probe preload (see app-probe.ts); undefined if the app is gone or does not answer in 30 s. */
  async probe(command: ProbeCommand): Promise<ProbeReply | undefined> {
    const child = this.child;
    if (!child?.send || !this.running) return undefined;
    const id = (this.nextProbeId += 1);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), 30_000);
      const onMessage = (message: unknown): void => {
        if (isProbeReply(message) && message.benchProbeReply === id) finish(message);
      };
      const finish = (reply: ProbeReply | undefined): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(reply);
      };
      child.on('message', onMessage);
      child.send({ benchProbe: command, id });
    });
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM (graceful: drains), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

/**
 * `--start`: the built api and worker in production mode, with a fresh database and a queue
 * prefix of their own, secrets generated for this run, and the send rate limit raised so the
 * benchmark measures the pipeline rather than the limiter. `stop()` removes all of it.
 */
export class BenchStack {
  private constructor(
    readonly database: TestDatabase,
    readonly queuePrefix: string,
    readonly jwtSecret: string,
    readonly admin: { email: string; password: string },
    readonly api: BuiltApp,
    readonly worker: BuiltApp,
    readonly workDir: string,
    /** The single Redis whose keys stop() deletes; none on a cluster, which its owner removes whole. */
    private readonly redis: RedisTarget | undefined,
  ) {}

  static async start(options: StartOptions): Promise<BenchStack> {
    const workDir = mkdtempSync(path.join(tmpdir(), 'mq-bench-'));
    const database = await createTestDatabase({ pooler: options.pgbouncer ? 'pgbouncer' : 'none', adminUrl: benchPostgresAdminUrl() });
    const queuePrefix = options.queuePrefix ?? uniqueQueuePrefix('bench');
    const jwtSecret = randomBytes(32).toString('hex');
    const admin = { email: 'bench-admin@bench.test', password: randomBytes(12).toString('hex') };
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      NODE_ENV: 'production',
      ...testDatabaseEnv(database),
      REDIS_HOST: options.redis.host,
      REDIS_PORT: String(options.redis.port),
      REDIS_QUEUE_DB: String(options.redis.db),
      ...(options.redis.username ? { REDIS_USERNAME: options.redis.username } : {}),
      ...(options.redis.password ? { REDIS_PASSWORD: options.redis.password } : {}),
      QUEUE_PREFIX: queuePrefix,
      ...(options.cluster ? { REDIS_NODES: options.cluster.redisNodes } : {}),
      LOG_LEVEL: options.logLevel,
      JWT_SECRET: jwtSecret,
      MESSAGE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      // The limiter is per user and the bench's senders are few: 600/min would measure the limiter.
      SEND_RATE_LIMIT_PER_MINUTE: '1000000',
      ...(options.batchLingerMs === undefined ? {} : { BATCH_LINGER_MS: String(options.batchLingerMs) }),
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...options.env,
    };
    const execArgv = probeExecArgv(workDir);
    const profileEnv = (name: string): NodeJS.ProcessEnv => ({ BENCH_PROBE_DIR: workDir, BENCH_PROBE_NAME: name });
    const api = new BuiltApp(
      'api',
      'dist/apps/api/main.js',
      apiPort,
      { ...env, ...profileEnv('api'), PORT: String(apiPort) },
      execArgv,
      path.join(workDir, 'api.log'),
    );
    const worker = new BuiltApp(
      'worker',
      'dist/apps/worker/main.js',
      workerPort,
      { ...env, ...profileEnv('worker'), WORKER_PORT: String(workerPort) },
      execArgv,
      path.join(workDir, 'worker.log'),
    );
    const stack = new BenchStack(database, queuePrefix, jwtSecret, admin, api, worker, workDir, options.cluster ? undefined : options.redis);
    try {
      await api.start();
      await worker.start();
    } catch (error) {
      await stack.stop(true);
      throw error;
    }
    return stack;
  }

  /** The most frequent error and warning lines (pino level >= 40) the apps logged, for the report. */
  logSummary(top = 5): { app: string; count: number; line: string }[] {
    const out: { app: string; count: number; line: string }[] = [];
    for (const app of [this.api, this.worker]) {
      const counts = new Map<string, number>();
      let text = '';
      try {
        text = readFileSync(app.logFile, 'utf8');
      } catch {
        continue;
      }
      for (const raw of text.split('\n')) {
        if (!raw.startsWith('{')) continue;
        try {
          const entry = JSON.parse(raw) as { level?: number; msg?: string; err?: { message?: string; type?: string } | string };
          if ((entry.level ?? 0) < 40) continue;
          const err = typeof entry.err === 'string' ? entry.err : (entry.err?.message ?? '');
          const key = `${entry.level === 40 ? 'warn' : 'error'}: ${entry.msg ?? ''}${err ? ` (${err})` : ''}`.replace(/[0-9a-f-]{36}/g, '<id>').slice(0, 200);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        } catch {
          // Not a log object.
        }
      }
      out.push(
        ...[...counts]
          .sort((a, b) => b[1] - a[1])
          .slice(0, top)
          .map(([line, count]) => ({ app: app.name, count, line })),
      );
    }
    return out;
  }

  /** Stops both apps, deletes the queue keys and the database; keeps the logs if asked. */
  async stop(keepLogs = false): Promise<void> {
    await Promise.all([this.api.stop(), this.worker.stop()]);
    const redis = this.redis;
    if (redis) await deleteQueueKeys(testQueueConfig(this.queuePrefix, { host: redis.host, port: redis.port, db: redis.db })).catch(() => undefined);
    await this.database.drop().catch(() => undefined);
    if (!keepLogs) rmSync(this.workDir, { recursive: true, force: true });
  }
}
