import { spawnSync } from 'node:child_process';
import { MessagingClient } from '@mq/messaging-client';
import { BenchStack, WORKSPACE_ROOT } from './bench-stack.runner';
import { BenchOptions } from './bench.cli';
import { CpuSubjects, readRssBytes, redisStats, scrapeMetric } from './process.probe';
import { ProgressBar } from './progress.bar';
import { ResourceSnapshot } from './report.writer';
import { mb } from './stats.math';
import { ApiUserSource, SqlUserSource, UserSource } from './users.seeder';

export interface Target {
  apiUrl: string;
  admin: MessagingClient;
  users: UserSource;
  stack?: BenchStack;
  cpuSubjects: CpuSubjects;
  readApiRss: () => Promise<number | undefined>;
  /** V8 heap in use after a full GC (--start only). */
  readApiHeap?: () => Promise<number | undefined>;
  readWorkerRss: () => Promise<number | undefined>;
}

export function build(progress: ProgressBar): void {
  progress.log('bench: building api and worker (nx cache makes this quick when nothing changed)');
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'worker', '--output-style=stream'], {
    cwd: WORKSPACE_ROOT,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  if (result.status !== 0) throw new Error('nx build of api and worker failed (or run with --no-build to use dist/ as it is)');
}

export async function connectTarget(options: BenchOptions, progress: ProgressBar): Promise<Target> {
  const redisPid = await redisStats(options.redis).then((s) => (s?.pid && readRssBytes(s.pid) !== undefined ? s.pid : undefined));
  if (options.start) {
    if (options.build) build(progress);
    progress.log('bench: starting api + worker (NODE_ENV=production, fresh database and queue prefix)');
    const stack = await BenchStack.start({
      redis: options.redis,
      logLevel: options.logLevel,
      profile: options.profile,
      batchLingerMs: options.batchLingerMs,
      pgbouncer: options.pgbouncer,
    });
    const admin = new MessagingClient({ baseUrl: stack.api.url, timeoutMs: 60_000 });
    await admin.login(stack.admin);
    return {
      apiUrl: stack.api.url,
      admin,
      users: new SqlUserSource(stack.database.directUrl, stack.jwtSecret, stack.api.url),
      stack,
      cpuSubjects: {
        api: stack.api.pid,
        worker: stack.worker.pid,
        redis: redisPid,
        databaseUrl: stack.database.directUrl,
        poolerPid: stack.database.poolerPid,
      },
      // A full GC first (through the probe preload), so a reading is live memory rather than GC timing.
      readApiRss: async () => {
        await stack.api.probe('memory');
        return readRssBytes(stack.api.pid);
      },
      readApiHeap: async () => (await stack.api.probe('memory'))?.memory?.heapUsed,
      readWorkerRss: async () => {
        await stack.worker.probe('memory');
        return readRssBytes(stack.worker.pid);
      },
    };
  }
  if (!options.adminEmail || !options.adminPassword) {
    throw new Error('a remote target needs --admin-email and --admin-password (or ADMIN_EMAIL / ADMIN_PASSWORD); or use --start');
  }
  const admin = new MessagingClient({ baseUrl: options.apiUrl, timeoutMs: 60_000 });
  await admin.login({ email: options.adminEmail, password: options.adminPassword });
  const workerUrl = options.workerUrl;
  return {
    apiUrl: options.apiUrl,
    admin,
    users: new ApiUserSource(admin, options.apiUrl),
    cpuSubjects: { redis: redisPid },
    readApiRss: () => scrapeMetric(options.apiUrl, 'process_resident_memory_bytes'),
    readWorkerRss: async () => (workerUrl ? scrapeMetric(workerUrl, 'process_resident_memory_bytes') : undefined),
  };
}

export async function snapshot(target: Target, options: BenchOptions): Promise<ResourceSnapshot> {
  const redis = await redisStats(options.redis);
  return { apiRssMB: mb(await target.readApiRss()), workerRssMB: mb(await target.readWorkerRss()), redisUsedMemoryMB: mb(redis?.usedMemory) };
}
