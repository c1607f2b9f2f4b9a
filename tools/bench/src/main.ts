import os from 'node:os';
import { measureOnCluster } from './cluster.phase';
import path from 'node:path';
import { WORKSPACE_ROOT } from './bench-stack.runner';
import { Phase, USAGE, parseBenchOptions, directOptionsFrom } from './bench.cli';
import { measureBroadcast } from './broadcast.phase';
import { summariseProfile } from './cpu-profile';
import { measureDirectMessages } from './direct-messages.phase';
import { openFileLimit, round } from './process.probe';
import { ProgressBar } from './progress.bar';
import { measureLedger } from './ledger.phase';
import { measureRawCeiling } from './raw-ceiling.phase';
import { BenchReport, writeReport } from './report.writer';
import { runNotes } from './report.notes';
import { measureSockets } from './sockets.phase';
import { measureSoak } from './soak.phase';
import { measureWithTracing } from './tracing.phase';
import { BenchUser, SqlUserSource } from './users.seeder';
import { correctnessChecks, targetChecks } from './bench.checks';
import { connectTarget, snapshot } from './bench.target';
import { postgresSettings } from './query-stats.probe';
import { startBenchPostgres, stopBenchPostgres } from './bench-postgres.server';

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), process.env, path.join(WORKSPACE_ROOT, 'tools/bench/results'));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const progress = new ProgressBar();
  const startedAt = new Date();
  const cores = os.cpus().length;
  if (options.start && !options.systemPostgres) {
    progress.log('bench: starting a Postgres server of the run’s own (README "Postgres settings")');
    await startBenchPostgres();
  }
  const target = await connectTarget(options, progress).catch(async (error: unknown) => {
    await stopBenchPostgres();
    throw error;
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await target.stack?.stop(options.profile);
    await stopBenchPostgres();
  };
  // Ctrl-C during the soak stops its sending: it drains and reports what it measured. Otherwise, or again, the run ends.
  const stopSoak = new AbortController();
  let soaking = false;
  process.on('SIGINT', () => {
    if (soaking && !stopSoak.signal.aborted) {
      stopSoak.abort();
      progress.log('bench: stopping the soak; Ctrl-C again to abort');
      return;
    }
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
    ...(target.stack ? { postgres: await postgresSettings(target.stack.database.directUrl) } : {}),
    resources: { before: await snapshot(target, options), after: {} },
    profiles: {},
    targets: [],
    correctness: [],
    notes: [],
    errors: [],
  };
  report.notes.push(...runNotes(options));

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
          ...directOptionsFrom(options, cores, { cpuSubjects: target.cpuSubjects, redis: options.redis, databaseUrl: target.stack?.database.url }),
          queryStats: options.profile,
        },
        progress,
      );
    });
    if (options.cluster && options.phases.has('direct')) {
      try {
        report.cluster = await measureOnCluster(options, cores, progress);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ phase: 'cluster', message });
        progress.log(`bench: cluster failed: ${message}`);
      }
    }
    if (options.tracing && options.phases.has('direct')) {
      try {
        report.tracing = await measureWithTracing(options, cores, progress);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ phase: 'tracing', message });
        progress.log(`bench: tracing failed: ${message}`);
      }
    }
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
          databaseUrl: target.stack?.database.directUrl,
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
    await phase('ledger', async () => {
      report.ledger = await measureLedger(target.users, { quick: options.quick, databaseUrl: target.stack?.database.url }, progress);
    });
    await phase('soak', async () => {
      soaking = true;
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
          databaseUrl: target.stack?.database.url,
          stopSending: stopSoak.signal,
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
      ...(report.cluster
        ? [
            `        on a Redis Cluster (3+3): ${Math.max(...report.cluster.direct.runs.map((r) => r.sustainedPerSecond))} msgs/s; keys per master ${report.cluster.perMaster.map((m) => `${m.port}: ${m.keys} (${m.queueKeys} queue keys)`).join(', ')}`,
          ]
        : []),
      ...(report.ratio
        ? [`        pipeline / raw Bull ceiling: ${report.ratio.pipelinePerSecond} / ${report.ratio.ceilingPerSecond} = ${report.ratio.ratio}`]
        : []),
      ...(report.tracing
        ? report.tracing.direct.runs.map((on, i) => {
            const off = report.direct?.runs[i];
            const cpu = (run?: typeof on) => (run ? `${run.sustainedPerSecond} msgs/s, ${run.perMessage.cpuMs.server} CPU ms/msg` : '–');
            return `        tracing off vs on, ${on.mode} ${on.transport}: ${cpu(off)} vs ${cpu(on)}`;
          })
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
