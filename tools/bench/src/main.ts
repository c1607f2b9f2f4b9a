import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { MessagingClient } from '@mq/messaging-client';
import { BenchStack, WORKSPACE_ROOT } from './bench-stack.runner';
import { BenchOptions, Phase, USAGE, parseBenchOptions } from './bench.cli';
import { measureBroadcast } from './broadcast.phase';
import { summariseProfile } from './cpu-profile';
import { measureDirectMessages } from './direct-messages.phase';
import { CpuSubjects, openFileLimit, readRssBytes, redisStats, round, scrapeMetric } from './process.probe';
import { ProgressBar } from './progress.bar';
import { measureRawCeiling } from './raw-ceiling.phase';
import { BenchReport, CorrectnessCheck, ResourceSnapshot, TargetCheck, writeReport } from './report.writer';
import { measureSockets } from './sockets.phase';
import { LEVEL_OFF, measureSoak } from './soak.phase';
import { mb } from './stats.math';
import { ApiUserSource, BenchUser, SqlUserSource, UserSource } from './users.seeder';

const TARGETS = {
  directPerSecond: 3_000,
  p99Ms: 50,
  offeredPerSecond: 500,
  broadcastRecipients: 100_000,
  broadcastMs: 20_000,
  sockets: 10_000,
  soakMessages: 1_000_000,
};

interface Target {
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

function build(progress: ProgressBar): void {
  progress.log('bench: building api and worker (nx cache makes this quick when nothing changed)');
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'worker', '--output-style=stream'], {
    cwd: WORKSPACE_ROOT,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  if (result.status !== 0) throw new Error('nx build of api and worker failed (or run with --no-build to use dist/ as it is)');
}

async function connectTarget(options: BenchOptions, progress: ProgressBar): Promise<Target> {
  const redisPid = await redisStats(options.redis).then((s) => (s?.pid && readRssBytes(s.pid) !== undefined ? s.pid : undefined));
  if (options.start) {
    if (options.build) build(progress);
    progress.log('bench: starting api + worker (NODE_ENV=production, fresh database and queue prefix)');
    const stack = await BenchStack.start({ redis: options.redis, logLevel: options.logLevel, profile: options.profile, batchLingerMs: options.batchLingerMs });
    const admin = new MessagingClient({ baseUrl: stack.api.url, timeoutMs: 60_000 });
    await admin.login(stack.admin);
    return {
      apiUrl: stack.api.url,
      admin,
      users: new SqlUserSource(stack.database.url, stack.jwtSecret, stack.api.url),
      stack,
      cpuSubjects: { api: stack.api.pid, worker: stack.worker.pid, redis: redisPid, databaseUrl: stack.database.url },
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

async function snapshot(target: Target, options: BenchOptions): Promise<ResourceSnapshot> {
  const redis = await redisStats(options.redis);
  return { apiRssMB: mb(await target.readApiRss()), workerRssMB: mb(await target.readWorkerRss()), redisUsedMemoryMB: mb(redis?.usedMemory) };
}

function targetChecks(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fixed = report.direct?.runs.find((r) => r.mode === 'fixed-rate' && r.offeredPerSecond === TARGETS.offeredPerSecond);
  const full = report.direct?.runs.find((r) => r.mode === 'full-speed');
  if (full) {
    const best = report.direct?.runs.reduce((top, r) => (r.sustainedPerSecond > top.sustainedPerSecond ? r : top), full) ?? full;
    checks.push({
      name: 'direct messages, sustained end to end',
      target: `≥ ${TARGETS.directPerSecond.toLocaleString('en-US')} msgs/s`,
      measured: `${best.sustainedPerSecond.toLocaleString('en-US')} msgs/s (sent over ${best.transport === 'socket' ? 'the socket' : 'REST'})`,
      met: best.sustainedPerSecond >= TARGETS.directPerSecond,
    });
  }
  if (fixed) {
    checks.push({
      name: `p99 send → receive at ${fixed.offeredPerSecond} msgs/s offered`,
      target: `≤ ${TARGETS.p99Ms} ms`,
      measured: `${fixed.latencyMs.receive.p99} ms (p50 ${fixed.latencyMs.receive.p50} ms, ${fixed.sustainedPerSecond} msgs/s achieved)`,
      met: fixed.latencyMs.receive.p99 <= TARGETS.p99Ms && fixed.notReceived === 0 && fixed.rejected === 0 && fixed.dropped === 0,
    });
  }
  const sustainable = report.direct?.runs.find((r) => r.mode === 'fixed-rate' && r !== fixed);
  if (sustainable) {
    checks.push({
      name: `(reference) p99 send → receive at ${sustainable.offeredPerSecond} msgs/s offered, half the sustained rate`,
      target: '–',
      measured: `${sustainable.latencyMs.receive.p99} ms (p50 ${sustainable.latencyMs.receive.p50} ms)`,
      met: undefined,
      reference: true,
    });
  }
  const b = report.broadcast;
  if (b) {
    const atSize = b.created >= TARGETS.broadcastRecipients;
    const projected = b.recipientsPerSecond ? round((TARGETS.broadcastRecipients / b.recipientsPerSecond) * 1000) : undefined;
    checks.push({
      name: 'broadcast fan-out, rows written and connected sample reached',
      target: `100,000 in ≤ ${TARGETS.broadcastMs / 1000} s`,
      measured:
        `${b.total.toLocaleString('en-US')} in ${b.totalMs === undefined ? 'n/a' : `${(b.totalMs / 1000).toFixed(1)} s`} (${b.status})` +
        // A linear projection only from a size where fixed costs no longer dominate.
        (atSize || projected === undefined || b.total < 5_000 ? '' : `; linear projection to 100,000: ≈ ${(projected / 1000).toFixed(1)} s`),
      met: atSize ? b.totalMs !== undefined && b.totalMs <= TARGETS.broadcastMs && b.status === 'completed' : undefined,
    });
  }
  const soak = report.soak;
  if (soak) {
    const series = soak.verdicts
      .map((v) =>
        v.levelledOff === undefined
          ? `${v.series} n/a (${v.samples} samples, 4 needed)`
          : `${v.series} ${v.secondQuarterMaxMB} → ${v.lastQuarterMaxMB} MB (${v.slopePer100kMB ?? '–'} MB/100k msgs)`,
      )
      .join(', ');
    checks.push({
      name: 'soak: Redis memory and process RSS level off',
      target: `${TARGETS.soakMessages.toLocaleString('en-US')} messages; last-quarter max ≤ second-quarter max + ${LEVEL_OFF.percent}% or ${LEVEL_OFF.mb} MB`,
      measured: `${soak.delivered.toLocaleString('en-US')} messages delivered: ${series}`,
      // Growth at any size is a failure; levelling off proves the target only at its size.
      met: soak.levelledOff === false ? false : soak.delivered >= TARGETS.soakMessages ? soak.levelledOff : undefined,
    });
  }
  const s = report.sockets;
  if (s) {
    checks.push({
      name: 'sockets on one api instance',
      target: `${TARGETS.sockets.toLocaleString('en-US')} connected`,
      measured: `${s.stillConnected.toLocaleString('en-US')} of ${s.attempted.toLocaleString('en-US')} connected, ${s.rssSlopePerThousandMB ?? '–'} MB RSS per 1,000`,
      met: s.requested >= TARGETS.sockets ? s.stillConnected >= TARGETS.sockets : undefined,
    });
  }
  return checks;
}

/** Nothing accepted may be lost or arrive twice, whatever the speed. */
function correctnessChecks(report: BenchReport): CorrectnessCheck[] {
  const checks: CorrectnessCheck[] = [];
  for (const run of report.direct?.runs ?? []) {
    const label = `${run.mode === 'fixed-rate' ? `direct, ${run.offeredPerSecond} msgs/s offered` : 'direct, full speed'} (${run.transport})`;
    checks.push(
      {
        name: `${label}: none lost`,
        ok: run.accepted > 0 && run.notReceived === 0 && run.notDelivered === 0,
        detail: `${run.accepted} accepted, ${run.received} received, ${run.delivered} recorded delivered`,
      },
      {
        name: `${label}: none duplicated`,
        ok: run.duplicated === 0,
        detail: `${run.duplicated} second copies (${run.duplicateReceipts} same-id redeliveries)`,
      },
    );
  }
  const soak = report.soak;
  if (soak) {
    checks.push(
      {
        name: 'soak: none lost',
        ok: soak.accepted > 0 && soak.notReceived === 0 && soak.notDelivered === 0,
        detail: `${soak.accepted} accepted, ${soak.received} received, ${soak.delivered} recorded delivered`,
      },
      { name: 'soak: none duplicated', ok: soak.duplicated === 0, detail: `${soak.duplicated} second copies (${soak.duplicateReceipts} same-id redeliveries)` },
    );
  }
  const b = report.broadcast;
  if (b) {
    const rowsOk = b.deliveryRows === undefined || b.deliveryRows === b.total;
    checks.push({
      name: 'broadcast: every recipient has its delivery and every connected sample received it',
      ok: b.status === 'completed' && b.failed === 0 && rowsOk && b.sampleReceived === b.sample,
      detail: `${b.status}, ${b.processed}/${b.total} processed, ${b.failed} failed, ${b.deliveryRows ?? 'n/a'} delivery rows, sample ${b.sampleReceived}/${b.sample}`,
    });
  }
  return checks;
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), process.env, path.join(WORKSPACE_ROOT, 'tools/bench/results'));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const progress = new ProgressBar();
  const startedAt = new Date();
  const cores = os.cpus().length;
  const target = await connectTarget(options, progress);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await target.stack?.stop(options.profile);
  };
  process.once('SIGINT', () => {
    progress.log('bench: interrupted, cleaning up');
    void stop().finally(() => process.exit(130));
  });

  const report: BenchReport = {
    tool: 'tools/bench',
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSeconds: 0,
    quick: options.quick,
    mode: options.start ? 'started' : 'remote',
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cores,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGB: round(os.totalmem() / 1024 ** 3, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      openFileLimit: openFileLimit(),
    },
    settings: {
      transport: options.transport,
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      concurrency: options.concurrency,
      pairs: options.pairs,
      broadcastRecipients: options.broadcastRecipients,
      broadcastSample: options.broadcastSample,
      chunkSize: options.chunkSize,
      sockets: options.sockets,
      ceilingJobs: options.ceilingJobs,
      ...(options.phases.has('soak') ? { soakMessages: options.soakMessages } : {}),
      logLevel: options.start ? options.logLevel : 'target default',
      sendRateLimitPerMinute: options.start ? 1_000_000 : 'target default',
    },
    resources: { before: await snapshot(target, options), after: {} },
    profiles: {},
    targets: [],
    correctness: [],
    notes: [],
    errors: [],
  };
  report.notes.push(
    options.start
      ? 'Users are rows inserted with SQL and their access tokens are minted with the run’s own JWT_SECRET (what POST /auth/login signs); the api still verifies every token and user row.'
      : 'Users were created through POST /users and signed in through POST /auth/login (two scrypt runs each on the api); broadcast recipients the same way.',
  );
  // Notes about phases that did not run would only confuse a partial (e.g. soak-only) report.
  if (options.phases.has('broadcast'))
    report.notes.push('Broadcasts use allUsers: the batch total is every active user but the admin, the run’s senders and listeners included.');
  if (options.phases.has('direct')) {
    report.notes.push(
      `The api gathers sends and receipts into one commit for up to ${options.batchLingerMs ?? 8} ms while busy (BATCH_LINGER_MS${options.batchLingerMs === undefined ? ', its default' : ''}); an idle api never waits.`,
      `Senders send over ${options.transport === 'socket' ? 'their socket (`message:send`, acknowledged once stored), as a connected app does' : 'REST (`POST /messages`)'}; one more full-speed run sends over ${options.transport === 'socket' ? 'REST' : 'the socket'} for comparison.`,
      `Before the runs, ${options.quick ? 3 : 5} s of unmeasured sending warm the processes and fill the tables${options.start ? '; then the run’s own database is analyzed, as autovacuum does within a minute of a deployment’s first traffic (prepared statements keep the plan a ten-row table gave until then)' : ''}.`,
      'The fixed-rate run is open loop: a send leaves on schedule whatever earlier answers do, so latency includes any queueing in the api.',
      `The full-speed runs keep ${options.concurrency} sends in flight and pause while more than 2,000 accepted messages are not yet delivered, so they measure the sustained rate instead of how fast a backlog grows.`,
    );
  }
  if (options.phases.has('soak') && options.start) {
    report.notes.push(
      'Soak: each RSS sample forces a full GC in api and worker first (the probe preload), every 5 s; the “read (ms)” column is what that took.',
    );
  }

  let sharedRecipients: string[] = [];
  const profiled = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
    const stack = target.stack;
    // The ceiling runs without api and worker: nothing to profile.
    if (!options.profile || !stack || phase === 'ceiling') return work();
    await Promise.all([stack.api.probe('profile-start'), stack.worker.probe('profile-start')]);
    try {
      return await work();
    } finally {
      for (const app of [stack.api, stack.worker]) {
        const file = (await app.probe('profile-stop'))?.file;
        if (file) report.profiles[`${app.name} · ${phase}`] = summariseProfile(file);
      }
    }
  };
  const phase = async (name: Phase, work: () => Promise<void>): Promise<void> => {
    if (!options.phases.has(name)) return;
    try {
      await profiled(name, work);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.errors.push({ phase: name, message });
      progress.log(`bench: ${name} failed: ${message}`);
    }
  };

  try {
    await phase('ceiling', async () => {
      report.ceiling = await measureRawCeiling(options.redis, options.ceilingJobs, progress);
    });
    await phase('direct', async () => {
      report.direct = await measureDirectMessages(
        target.users,
        {
          transport: options.transport,
          warmupSeconds: options.quick ? 3 : 5,
          pairs: options.pairs,
          rate: options.rate,
          durationSeconds: options.durationSeconds,
          concurrency: options.concurrency,
          cores,
          cpuSubjects: target.cpuSubjects,
          redis: options.redis,
          databaseUrl: target.stack?.database.url,
        },
        progress,
      );
    });
    await phase('broadcast', async () => {
      const { result, recipientIds } = await measureBroadcast(
        target.users,
        target.admin,
        {
          recipients: options.broadcastRecipients,
          sample: options.broadcastSample,
          chunkSize: options.chunkSize,
          cores,
          cpuSubjects: target.cpuSubjects,
          databaseUrl: target.stack?.database.url,
        },
        progress,
      );
      report.broadcast = result;
      sharedRecipients = recipientIds;
    });
    await phase('sockets', async () => {
      const source = target.users;
      let users: BenchUser[];
      if (source instanceof SqlUserSource) {
        // One user per socket: reuse the broadcast's rows, insert what is missing.
        const reused = source.tokensFor(sharedRecipients.slice(0, options.sockets));
        users = reused.length >= options.sockets ? reused : [...reused, ...(await source.users(options.sockets - reused.length, 'socket'))];
      } else {
        users = await source.users(Math.min(options.sockets, 100), 'socket');
        report.notes.push(`Remote target: the ${options.sockets} sockets are spread over ${users.length} API-created users (several devices each).`);
      }
      const apiLimit = target.stack ? openFileLimit(target.stack.api.pid) : undefined;
      report.sockets = await measureSockets(
        users,
        source,
        {
          sockets: options.sockets,
          fileLimits: { bench: openFileLimit(), api: apiLimit },
          readApiRss: target.readApiRss,
          readApiHeap: target.readApiHeap,
          rssSource: target.stack ? 'proc, after a full GC' : 'metrics',
          holdSeconds: options.quick ? 3 : 10,
          cores,
          cpuSubjects: target.cpuSubjects,
        },
        progress,
      );
    });
    await phase('soak', async () => {
      report.soak = await measureSoak(
        target.users,
        {
          messages: options.soakMessages,
          transport: options.transport,
          pairs: options.pairs,
          concurrency: options.concurrency,
          redis: options.redis,
          readApiRss: target.readApiRss,
          readWorkerRss: target.readWorkerRss,
          rssSource: target.stack ? 'proc, after a full GC' : 'process_resident_memory_bytes from /metrics',
          cores,
          cpuSubjects: target.cpuSubjects,
        },
        progress,
      );
    });
    if (report.ceiling && report.direct) {
      const pipeline = Math.max(...report.direct.runs.map((r) => r.sustainedPerSecond));
      report.ratio = {
        pipelinePerSecond: pipeline,
        ceilingPerSecond: report.ceiling.ceilingPerSecond,
        ratio: round(pipeline / report.ceiling.ceilingPerSecond, 3),
      };
    }
    report.resources.after = await snapshot(target, options);
  } finally {
    for (const { app, count, line } of target.stack?.logSummary() ?? []) report.notes.push(`${app} log: ${count}× ${line}`);
    await stop();
  }
  if (options.profile && target.stack) report.notes.push(`CPU profiles (.cpuprofile, open in Chrome DevTools) kept in ${target.stack.workDir}.`);
  const finishedAt = new Date();
  report.finishedAt = finishedAt.toISOString();
  report.durationSeconds = round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1);
  report.targets = targetChecks(report);
  report.correctness = correctnessChecks(report);
  const files = writeReport(report, options.outDir);
  process.stdout.write(
    [
      '',
      ...report.targets.map(
        (t) =>
          `${t.reference ? '  info' : t.met === undefined ? '  n/a ' : t.met ? '  met ' : 'MISSED'}  ${t.name}: ${t.measured}${t.reference ? '' : ` (goal ${t.target})`}`,
      ),
      ...(report.ratio
        ? [`        pipeline / raw Bull ceiling: ${report.ratio.pipelinePerSecond} / ${report.ratio.ceilingPerSecond} = ${report.ratio.ratio}`]
        : []),
      ...report.correctness.map((c) => `${c.ok ? '  ok  ' : 'FAILED'}  ${c.name}: ${c.detail}`),
      ...report.errors.map((e) => `ERROR   ${e.phase}: ${e.message}`),
      `results (${report.durationSeconds} s): ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`,
      '',
    ].join('\n'),
  );
  return report.errors.length > 0 || report.correctness.some((c) => !c.ok) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\nbench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
