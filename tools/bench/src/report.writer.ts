import { type LedgerResult, ledgerSection } from './ledger.phase';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BroadcastResult } from './broadcast.phase';
import type { ClusterResult } from './cluster.phase';
import type { TracingResult } from './tracing.phase';
import { renderChart, renderSoakChart } from './chart.svg';
import type { ProfileSummary } from './cpu-profile';
import type { DirectResult } from './direct-messages.types';
import type { CeilingResult } from './raw-ceiling.phase';
import type { SocketsResult } from './sockets.phase';
import type { SoakResult } from './soak.types';
import { queryStatsSection } from './query-stats.sections';
import { clusterSection, tracingSection, cpuLine, dash, directLimit, directRunSection, fmt, profileSection, soakSection } from './report.sections';

export interface ResourceSnapshot {
  apiRssMB?: number;
  workerRssMB?: number;
  redisUsedMemoryMB?: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** undefined: not measured at the target's size (e.g. --quick), or a reference figure. */
  met: boolean | undefined;
  reference?: boolean;
}

/** Lost / duplicated: asserted (the bench exits 1 when one fails), unlike the timing targets. */
export interface CorrectnessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BenchReport {
  tool: 'tools/bench';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  quick: boolean;
  mode: 'started' | 'remote';
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string; openFileLimit: number | undefined };
  /** The Postgres settings that decide the cost per message as the data grows (README "Postgres settings"), as the run's database saw them. */
  postgres?: Record<string, string>;
  settings: Record<string, string | number | boolean>;
  ceiling?: CeilingResult;
  direct?: DirectResult;
  ratio?: { pipelinePerSecond: number; ceilingPerSecond: number; ratio: number };
  broadcast?: BroadcastResult;
  sockets?: SocketsResult;
  soak?: SoakResult;
  ledger?: LedgerResult;
  cluster?: ClusterResult;
  tracing?: TracingResult;
  resources: { before: ResourceSnapshot; after: ResourceSnapshot };
  profiles: Record<string, ProfileSummary>;
  targets: TargetCheck[];
  correctness: CorrectnessCheck[];
  notes: string[];
  errors: { phase: string; message: string }[];
}

export function renderMarkdown(report: BenchReport, chartFile: string, soakChartFile?: string): string {
  const lines: string[] = [
    `# Benchmark ${report.startedAt}${report.quick ? ' (quick)' : ''}`,
    '',
    `\`${report.command}\` · ${report.mode === 'started' ? 'api + worker started by the bench (NODE_ENV=production, own database and queue prefix)' : 'remote target'} · ` +
      `${report.durationSeconds} s · ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGB} GB, Node ${report.machine.node}, ` +
      `ulimit -n ${dash(report.machine.openFileLimit)}. Everything (bench clients, api, worker, Postgres, Redis) shares this machine.` +
      (report.postgres
        ? ` Postgres: ${Object.entries(report.postgres)
            .map(([name, value]) => `${name} ${value}`)
            .join(', ')}.`
        : ''),
    '',
    '## Targets',
    '',
    '| target | goal | measured | |',
    '|---|---|---|---|',
    ...report.targets.map(
      (t) =>
        `| ${t.name} | ${t.target} | ${t.measured} | ${t.reference ? 'reference' : t.met === undefined ? 'not measured at size' : t.met ? 'met' : '**missed**'} |`,
    ),
    '',
    '## Correctness (asserted: the run fails on any of these)',
    '',
    '| check | | detail |',
    '|---|---|---|',
    ...report.correctness.map((c) => `| ${c.name} | ${c.ok ? 'ok' : '**FAILED**'} | ${c.detail} |`),
    '',
    ...directLimit(report),
  ];
  if (report.ceiling) {
    lines.push(
      '## Raw ceiling: Bull 4 no-op jobs on the same Redis',
      '',
      `Own queue and prefix, concurrency ${report.ceiling.concurrency} (the delivery queue's), ${report.ceiling.addsInFlight} adds in flight.`,
      '',
      '| job options | jobs | add only (jobs/s) | process only (jobs/s) | add + process (jobs/s) |',
      '|---|---:|---:|---:|---:|',
      ...report.ceiling.runs.map(
        (r) =>
          `| ${r.variant === 'policy' ? "delivery queue's (priority, attempts, timeout, retention)" : 'Bull defaults'} | ${fmt(r.jobs)} | ${fmt(r.addPerSecond)} | ${fmt(r.processPerSecond)} | ${fmt(r.combinedPerSecond)} |`,
      ),
      '',
    );
  }
  if (report.direct) {
    lines.push(
      '## Direct messages end to end',
      '',
      `${report.direct.pairs} sender/recipient pairs, all connected; ${report.direct.contentLength}-character messages.`,
      '',
    );
    for (const run of report.direct.runs) lines.push(...directRunSection(run));
    lines.push(`![latency histogram and throughput over time](${chartFile})`, '');
  }
  if (report.cluster) lines.push(...clusterSection(report));
  if (report.tracing) lines.push(...tracingSection(report));
  if (report.ratio) {
    lines.push(
      '## Pipeline vs raw ceiling',
      '',
      `${fmt(report.ratio.pipelinePerSecond)} msgs/s end to end / ${fmt(report.ratio.ceilingPerSecond)} no-op jobs/s = **${report.ratio.ratio}**. ` +
        'A message is more than a job: it is stored, encrypted, indexed and acknowledged, and its send and its receipt each ride in a ' +
        `job shared with the other messages of the moment${jobsPerMessage(report)}.`,
      '',
    );
  }
  if (report.broadcast) {
    const b = report.broadcast;
    lines.push(
      '## Broadcast fan-out',
      '',
      '| recipients (batch total) | users created | chunk | status | accepted (ms) | completed (ms) | delivery rows | sample received | sample all by (ms) | total (ms) | recipients/s |',
      '|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
      `| ${fmt(b.total)} | ${fmt(b.created)} via ${b.createdVia} in ${b.createSeconds} s | ${b.chunkSize} | ${b.status} | ${fmt(b.acceptedMs)} | ${fmt(b.completedMs)} | ${fmt(b.deliveryRows)} | ${b.sampleReceived}/${b.sample} | ${fmt(b.sampleAllReceivedMs)} | ${fmt(b.totalMs)} | ${fmt(b.recipientsPerSecond)} |`,
      '',
      `Sample receive time after the POST (ms): p50 ${b.sampleLatencyMs.p50}, p99 ${b.sampleLatencyMs.p99}, max ${b.sampleLatencyMs.max}. CPU: ${cpuLine(b.cpu)}`,
      '',
    );
  }
  if (report.sockets) {
    const s = report.sockets;
    lines.push(
      '## Sockets on one api',
      '',
      '| requested | attempted | connected | failed | still connected after hold | users | connect time (s) | connects/s | api RSS before → after (MB) | RSS per 1,000 sockets (MB) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
      `| ${fmt(s.requested)} | ${fmt(s.attempted)} | ${fmt(s.connected)} | ${fmt(s.failed)} | ${fmt(s.stillConnected)} (${s.holdSeconds} s) | ${fmt(s.users)} | ${s.connectSeconds} | ${fmt(s.connectsPerSecond)} | ${dash(s.apiRssBeforeMB)} → ${dash(s.apiRssAfterMB)} (${s.rssSource}) | ${dash(s.rssSlopePerThousandMB)} (slope), ${dash(s.rssDeltaPerThousandMB)} (delta)${s.heapSlopePerThousandMB !== undefined ? `; V8 heap ${s.heapSlopePerThousandMB}` : ''} |`,
      '',
      ...(s.cappedBy ? [`Capped: ${s.cappedBy}.`, ''] : []),
      ...(Object.keys(s.errors).length > 0
        ? [
            `Errors: ${Object.entries(s.errors)
              .map(([m, n]) => `${n}× ${m}`)
              .join('; ')}`,
            '',
          ]
        : []),
      `CPU while connecting and holding: ${cpuLine(s.cpu)}`,
      '',
    );
  }
  if (report.ledger) lines.push(...ledgerSection(report.ledger));
  if (report.soak) lines.push(...soakSection(report.soak, soakChartFile));
  const r = report.resources;
  lines.push(
    '## Resources before → after',
    '',
    ...(report.mode === 'started'
      ? ['RSS read from /proc after a full GC in the process (the bench preloads a probe into api and worker, run with --expose-gc).', '']
      : []),
    '| | before | after |',
    '|---|---:|---:|',
    `| api RSS (MB) | ${dash(r.before.apiRssMB)} | ${dash(r.after.apiRssMB)} |`,
    `| worker RSS (MB) | ${dash(r.before.workerRssMB)} | ${dash(r.after.workerRssMB)} |`,
    `| Redis used_memory (MB) | ${dash(r.before.redisUsedMemoryMB)} | ${dash(r.after.redisUsedMemoryMB)} |`,
    '',
  );
  const profiles = Object.entries(report.profiles);
  if (profiles.length > 0) {
    lines.push('## CPU profiles (--profile)', '');
    for (const [name, profile] of profiles) lines.push(...profileSection(name, profile));
  }
  lines.push(...queryStatsSection(report));
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  if (report.errors.length > 0) lines.push('## Errors', '', ...report.errors.map((e) => `- ${e.phase}: ${e.message}`), '');
  return lines.join('\n');
}

/** Writes `<stamp>.json`, `<stamp>.md`, (with direct runs) `<stamp>.svg` and (with a soak) `<stamp>-soak.svg`; returns the paths. */
export function writeReport(report: BenchReport, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const files = [path.join(outDir, `${stamp}.json`), path.join(outDir, `${stamp}.md`)];
  writeFileSync(files[0] as string, `${JSON.stringify(report, null, 2)}\n`);
  const chartFile = `${stamp}.svg`;
  if (report.direct && report.direct.runs.length > 0) {
    writeFileSync(path.join(outDir, chartFile), renderChart(report.direct.runs));
    files.push(path.join(outDir, chartFile));
  }
  let soakChartFile: string | undefined;
  if (report.soak && report.soak.samples.length > 0) {
    soakChartFile = `${stamp}-soak.svg`;
    writeFileSync(path.join(outDir, soakChartFile), renderSoakChart(report.soak));
    files.push(path.join(outDir, soakChartFile));
  }
  writeFileSync(files[1] as string, `${renderMarkdown(report, chartFile, soakChartFile)}\n`);
  return files;
}

/** How many jobs (outbox rows) the full-speed run staged per message, when measured. */
function jobsPerMessage(report: BenchReport): string {
  const full = report.direct?.runs.find((r) => r.mode === 'full-speed');
  const outbox = full?.perMessage.postgres?.writesByTable['outbox']?.inserted;
  return outbox === undefined ? '' : ` (${outbox} jobs per message in the full-speed run, about ${Math.round(1 / Math.max(outbox, 0.001))} messages per job)`;
}
