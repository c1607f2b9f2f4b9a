import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BroadcastResult } from './broadcast.phase';
import { renderChart, renderSoakChart } from './chart.svg';
import type { ProfileSummary } from './cpu-profile';
import type { DirectResult, DirectRun } from './direct-messages.phase';
import type { CpuShare } from './process.probe';
import type { CeilingResult } from './raw-ceiling.phase';
import type { SocketsResult } from './sockets.phase';
import type { SoakResult, SoakSample, SoakVerdict } from './soak.phase';
import type { Percentiles } from './stats.math';

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
  settings: Record<string, string | number | boolean>;
  ceiling?: CeilingResult;
  direct?: DirectResult;
  ratio?: { pipelinePerSecond: number; ceilingPerSecond: number; ratio: number };
  broadcast?: BroadcastResult;
  sockets?: SocketsResult;
  soak?: SoakResult;
  resources: { before: ResourceSnapshot; after: ResourceSnapshot };
  profiles: Record<string, ProfileSummary>;
  targets: TargetCheck[];
  correctness: CorrectnessCheck[];
  notes: string[];
  errors: { phase: string; message: string }[];
}

const dash = (value: number | string | undefined): string => (value === undefined ? '–' : String(value));
const fmt = (value: number | undefined): string => (value === undefined ? '–' : value.toLocaleString('en-US'));

function cpuLine(cpu: CpuShare): string {
  const part = (name: string, v: number | undefined): string => (v === undefined ? '' : `${name} ${v}`);
  return [
    part('api', cpu.api),
    part('worker', cpu.worker),
    part('postgres', cpu.postgres),
    part('redis', cpu.redis),
    part('bench', cpu.bench),
    `other processes ${cpu.other}`,
    `machine ${cpu.machine}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

function costLine(run: DirectRun): string {
  const c = run.perMessage;
  const ms = (name: string, v: number | undefined): string => (v === undefined ? '' : `${name} ${v}`);
  const parts = [ms('api', c.cpuMs.api), ms('worker', c.cpuMs.worker), ms('postgres', c.cpuMs.postgres), ms('redis', c.cpuMs.redis)].filter(Boolean);
  return (
    `Cost per delivered message: server CPU ms ${parts.join(' + ')} = **${c.cpuMs.server} ms** (bench client ${c.cpuMs.bench} ms more), ` +
    `so this machine's cores would carry about **${c.cpuBoundPerSecond ?? '–'} msgs/s** with nothing else running` +
    (c.postgres
      ? `; Postgres ${c.postgres.transactions} transactions, ${c.postgres.rowsInserted} rows inserted, ${c.postgres.rowsUpdated} updated, ${c.postgres.rowsFetched} fetched`
      : '') +
    (c.redisCommands !== undefined ? `; Redis ${c.redisCommands} commands (server-wide count)` : '') +
    '.' +
    (c.postgres && Object.keys(c.postgres.writesByTable).length > 0
      ? ` Rows written per message by table: ${Object.entries(c.postgres.writesByTable)
          .sort((a, b) => b[1].inserted + b[1].updated - (a[1].inserted + a[1].updated))
          .map(([table, w]) => `${table} +${w.inserted}${w.updated ? `/~${w.updated}` : ''}${w.deleted ? `/-${w.deleted}` : ''}`)
          .join(', ')} (+inserted/~updated/-deleted).`
      : '')
  );
}

function latencyRow(name: string, p: Percentiles): string {
  return `| ${name} | ${fmt(p.count)} | ${p.p50} | ${p.p95} | ${p.p99} | ${p.max} |`;
}

function directRunSection(run: DirectRun): string[] {
  const over = run.transport === 'socket' ? 'over the socket' : 'over REST';
  const title =
    run.mode === 'fixed-rate'
      ? `${run.offeredPerSecond} msgs/s offered ${over} (open loop)`
      : `full speed ${over} (${run.concurrency} sends in flight, backlog capped)`;
  return [
    `#### ${title}`,
    '',
    '| sent | accepted | rejected | dropped | received | delivered | not received | not delivered | duplicated | redelivered |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${fmt(run.sent)} | ${fmt(run.accepted)} | ${fmt(run.rejected)} | ${fmt(run.dropped)} | ${fmt(run.received)} | ${fmt(run.delivered)} | ${fmt(run.notReceived)} | ${fmt(run.notDelivered)} | ${fmt(run.duplicated)} | ${fmt(run.duplicateReceipts)} |`,
    '',
    '_duplicated_: a second message for one clientMessageId (must be 0). _redelivered_: the same message id again on the socket (at-least-once; clients drop it by id).',
    '',
    `Rates over ${run.sendingSeconds} s of sending: accepted **${fmt(run.acceptedPerSecond)}/s**, received ${fmt(run.receivedPerSecond)}/s, ` +
      `accepted → received → delivered **${fmt(run.sustainedPerSecond)} msgs/s sustained** (steady-state median ${fmt(run.steadyDeliveredPerSecond)}/s); ` +
      `backlog when sending stopped: ${fmt(run.backlogAtEnd)}.`,
    '',
    '| latency (ms) | n | p50 | p95 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|',
    latencyRow(run.transport === 'socket' ? 'send → accepted (socket ack)' : 'send → accepted (POST answered)', run.latencyMs.accept),
    latencyRow('send → received (recipient socket)', run.latencyMs.receive),
    latencyRow('send → delivered (sender told)', run.latencyMs.delivered),
    '',
    `CPU (cores busy): ${cpuLine(run.cpu)}`,
    '',
    costLine(run),
    ...(Object.keys(run.errors).length > 0
      ? [
          '',
          `Errors: ${Object.entries(run.errors)
            .map(([m, n]) => `${n}× ${m}`)
            .join('; ')}`,
        ]
      : []),
    '',
  ];
}

function profileSection(name: string, profile: ProfileSummary): string[] {
  return [
    `#### ${name} (${profile.seconds} s, busy ${profile.busyPercent}% of the time)`,
    '',
    '| self time by origin | % of busy | | hottest functions (self) | % of busy |',
    '|---|---:|---|---|---:|',
    ...Array.from({ length: Math.max(profile.origins.length, profile.functions.length) }, (_, i) => {
      const o = profile.origins[i];
      const f = profile.functions[i];
      return `| ${o ? o.name : ''} | ${o ? o.selfPercent : ''} | | ${f ? `\`${f.name.replace(/\|/g, '\\|')}\`` : ''} | ${f ? f.selfPercent : ''} |`;
    }),
    '',
    '| on the stack (inclusive) by origin | % of busy | | app functions, inclusive | % of busy |',
    '|---|---:|---|---|---:|',
    ...Array.from({ length: Math.max(profile.inclusiveOrigins.length, profile.inclusiveAppFunctions.length) }, (_, i) => {
      const o = profile.inclusiveOrigins[i];
      const f = profile.inclusiveAppFunctions[i];
      return `| ${o ? o.name : ''} | ${o ? o.selfPercent : ''} | | ${f ? `\`${f.name}\`` : ''} | ${f ? f.selfPercent : ''} |`;
    }),
    '',
  ];
}

/** What the numbers say limits direct throughput: CPU per message against the cores there are. */
function directLimit(report: BenchReport): string[] {
  const full = report.direct?.runs.find((r) => r.mode === 'full-speed');
  if (!full || full.perMessage.cpuMs.server <= 0) return [];
  const cores = report.machine.cpus;
  const c = full.perMessage;
  const budget = (cores * 1000) / 3_000;
  return [
    `**What limits direct messages:** during the full-speed run the machine had ${full.cpu.machine} of ${cores} cores busy ` +
      `(api ${full.cpu.api ?? '–'}, worker ${full.cpu.worker ?? '–'}, postgres ${full.cpu.postgres ?? '–'}, redis ${full.cpu.redis ?? '–'}, bench ${full.cpu.bench}, other processes ${full.cpu.other}). ` +
      `Each delivered message cost ${c.cpuMs.server} ms of server CPU` +
      (c.postgres ? `, ${c.postgres.transactions} Postgres transactions` : '') +
      (c.redisCommands !== undefined ? ` and about ${Math.round(c.redisCommands)} Redis commands` : '') +
      `: ${cores} cores carry at most ≈ ${c.cpuBoundPerSecond ?? '–'} msgs/s at that cost. ` +
      `3,000 msgs/s on ${cores} cores needs ≤ ${budget.toFixed(2)} ms of CPU per message, all processes together.`,
    '',
  ];
}

/** About `rows` samples evenly spread over the run, first and last always in. */
function thinned(samples: readonly SoakSample[], rows = 20): SoakSample[] {
  if (samples.length <= rows) return [...samples];
  const picked = new Set<number>();
  for (let i = 0; i < rows; i += 1) picked.add(Math.round((i * (samples.length - 1)) / (rows - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => samples[i] as SoakSample);
}

function verdictRow(v: SoakVerdict): string {
  const growth =
    v.growthMB === undefined
      ? '–'
      : `${v.growthMB > 0 ? '+' : ''}${v.growthMB} MB${v.growthPercent === undefined ? '' : ` (${v.growthPercent > 0 ? '+' : ''}${v.growthPercent}%)`}`;
  const verdict = v.levelledOff === undefined ? 'n/a (too few samples)' : v.levelledOff ? 'levels off' : '**keeps growing**';
  return `| ${v.series} | ${v.samples} | ${dash(v.secondQuarterMaxMB)} | ${dash(v.lastQuarterMaxMB)} | ${growth} | ${dash(v.slopePer100kMB)} | ${verdict} |`;
}

function soakSection(soak: SoakResult, chartFile: string | undefined): string[] {
  const rows = thinned(soak.samples);
  const minutes = (soak.sendingSeconds + soak.drainSeconds) / 60;
  return [
    '## Soak',
    '',
    `${fmt(soak.requested)} direct messages asked for, through ${soak.pairs} sender/recipient pairs at full speed (${soak.concurrency} sends in flight, ` +
      `paused while more than ${fmt(soak.backlogCap)} accepted messages are undelivered), then drained. ` +
      `Sending ${soak.sendingSeconds} s, drain ${soak.drainSeconds} s (${minutes.toFixed(1)} min in all): **${fmt(soak.sustainedPerSecond)} msgs/s sustained** ` +
      '(accepted → received → delivered, first send to last delivered).',
    '',
    '| sent | accepted | rejected | received | delivered | not received | not delivered | duplicated | redelivered |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${fmt(soak.sent)} | ${fmt(soak.accepted)} | ${fmt(soak.rejected)} | ${fmt(soak.received)} | ${fmt(soak.delivered)} | ${fmt(soak.notReceived)} | ${fmt(soak.notDelivered)} | ${fmt(soak.duplicated)} | ${fmt(soak.duplicateReceipts)} |`,
    '',
    `Samples every ${soak.sampleEverySeconds} s, at the start and at the end (${rows.length} of ${soak.samples.length} shown; all in the JSON). ` +
      `RSS: ${soak.rssSource}. Redis: \`INFO memory\` used_memory, and DBSIZE of the queue db (db ${soak.redisDb}: the run's queue prefix and anything else in that db). ` +
      `The bench's own RSS is shown too: it tracks messages in fixed memory, ${fmt(soak.trackedAtEnd)} ids still held at the end.`,
    '',
    '| s | stage | accepted | delivered | delivered/s (last interval) | Redis used_memory (MB) | queue db keys | api RSS (MB) | worker RSS (MB) | bench RSS (MB) | read (ms) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (s) =>
        `| ${s.seconds} | ${s.stage} | ${fmt(s.accepted)} | ${fmt(s.delivered)} | ${fmt(s.deliveredPerSecond)} | ${dash(s.redisUsedMemoryMB)} | ${fmt(s.redisKeys)} | ${dash(s.apiRssMB)} | ${dash(s.workerRssMB)} | ${s.benchRssMB} | ${s.readMs} |`,
    ),
    '',
    `**Levels off?** A series ${soak.levelOffRule}. Slope: least squares over the second half of the samples, MB per 100,000 messages delivered ` +
      '(a leak shows as a slope that stays positive; retention that has filled, as one near 0).',
    '',
    '| series | samples | 2nd-quarter max (MB) | last-quarter max (MB) | growth | slope (MB / 100,000 msgs) | verdict |',
    '|---|---:|---:|---:|---|---:|---|',
    ...soak.verdicts.map(verdictRow),
    '',
    `CPU over the soak (cores busy): ${cpuLine(soak.cpu)}`,
    ...(Object.keys(soak.errors).length > 0
      ? [
          '',
          `Errors: ${Object.entries(soak.errors)
            .map(([m, n]) => `${n}× ${m}`)
            .join('; ')}`,
        ]
      : []),
    '',
    ...(chartFile ? [`![soak: Redis used_memory, api and worker RSS against messages delivered](${chartFile})`, ''] : []),
  ];
}

export function renderMarkdown(report: BenchReport, chartFile: string, soakChartFile?: string): string {
  const lines: string[] = [
    `# Benchmark ${report.startedAt}${report.quick ? ' (quick)' : ''}`,
    '',
    `\`${report.command}\` · ${report.mode === 'started' ? 'api + worker started by the bench (NODE_ENV=production, own database and queue prefix)' : 'remote target'} · ` +
      `${report.durationSeconds} s · ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGB} GB, Node ${report.machine.node}, ` +
      `ulimit -n ${dash(report.machine.openFileLimit)}. Everything (bench clients, api, worker, Postgres, Redis) shares this machine.`,
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
