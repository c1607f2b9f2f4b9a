import type { ProfileSummary } from './cpu-profile';
import type { DirectRun } from './direct-messages.types';
import type { CpuShare } from './process.probe';
import type { SoakResult } from './soak.types';
import type { SoakSample, SoakVerdict } from './soak.verdict';
import type { Percentiles } from './stats.math';
import type { BenchReport } from './report.writer';
import { soakSizesSection, tenthsSection } from './soak-sizes.sections';

export const dash = (value: number | string | undefined): string => (value === undefined ? '–' : String(value));
export const fmt = (value: number | undefined): string => (value === undefined ? '–' : value.toLocaleString('en-US'));

export function cpuLine(cpu: CpuShare): string {
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

export function costLine(run: DirectRun): string {
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

export function latencyRow(name: string, p: Percentiles): string {
  return `| ${name} | ${fmt(p.count)} | ${p.p50} | ${p.p95} | ${p.p99} | ${p.max} |`;
}

export function directRunSection(run: DirectRun): string[] {
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

export function profileSection(name: string, profile: ProfileSummary): string[] {
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
export function directLimit(report: BenchReport): string[] {
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
export function thinned(samples: readonly SoakSample[], rows = 20): SoakSample[] {
  if (samples.length <= rows) return [...samples];
  const picked = new Set<number>();
  for (let i = 0; i < rows; i += 1) picked.add(Math.round((i * (samples.length - 1)) / (rows - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => samples[i] as SoakSample);
}

export function verdictRow(v: SoakVerdict): string {
  const growth =
    v.growthMB === undefined
      ? '–'
      : `${v.growthMB > 0 ? '+' : ''}${v.growthMB} MB${v.growthPercent === undefined ? '' : ` (${v.growthPercent > 0 ? '+' : ''}${v.growthPercent}%)`}`;
  const verdict = v.levelledOff === undefined ? 'n/a (too few samples)' : v.levelledOff ? 'levels off' : '**keeps growing**';
  return `| ${v.series} | ${v.samples} | ${dash(v.secondQuarterMaxMB)} | ${dash(v.lastQuarterMaxMB)} | ${growth} | ${dash(v.slopePer100kMB)} | ${verdict} |`;
}

export function soakSection(soak: SoakResult, chartFile: string | undefined): string[] {
  const rows = thinned(soak.samples);
  const minutes = (soak.sendingSeconds + soak.drainSeconds) / 60;
  return [
    '## Soak',
    '',
    `${fmt(soak.requested)} direct messages asked for${soak.stoppedEarly ? ` (sending stopped by hand after ${fmt(soak.sent)}: the figures are of those)` : ''}, through ${soak.pairs} sender/recipient pairs at full speed (${soak.concurrency} sends in flight, ` +
      `paused while more than ${fmt(soak.backlogCap)} accepted messages are undelivered), then drained. ` +
      `Sending ${soak.sendingSeconds} s, drain ${soak.drainSeconds} s (${minutes.toFixed(1)} min in all): **${fmt(soak.sustainedPerSecond)} msgs/s sustained** ` +
      '(accepted → received → delivered, first send to last delivered).',
    '',
    '| sent | accepted | rejected | received | delivered | not received | not delivered | duplicated | redelivered |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${fmt(soak.sent)} | ${fmt(soak.accepted)} | ${fmt(soak.rejected)} | ${fmt(soak.received)} | ${fmt(soak.delivered)} | ${fmt(soak.notReceived)} | ${fmt(soak.notDelivered)} | ${fmt(soak.duplicated)} | ${fmt(soak.duplicateReceipts)} |`,
    '',
    ...tenthsSection(soak),
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
    ...soakSizesSection(soak),
  ];
}

/** `--cluster`: the same direct runs on a 3+3 Redis Cluster, next to the single server's, and where the keys went. */
export function clusterSection(report: BenchReport): string[] {
  const cluster = report.cluster;
  if (!cluster) return [];
  const bestOf = (runs: readonly DirectRun[]) => runs.filter((r) => r.mode === 'full-speed').reduce((top, r) => Math.max(top, r.sustainedPerSecond), 0);
  const fixedOf = (runs: readonly DirectRun[]) => runs.find((r) => r.mode === 'fixed-rate');
  const single = report.direct?.runs ?? [];
  const p99 = (run: DirectRun | undefined) => (run ? `${run.latencyMs.receive.p99} ms` : '–');
  return [
    `## Redis Cluster (${cluster.masters} masters, ${cluster.replicas} replicas) in the same run`,
    '',
    '| Redis | direct messages, full speed (msgs/s) | p99 send → receive at the fixed rate |',
    '|---|---:|---:|',
    `| single server | ${fmt(bestOf(single))} | ${p99(fixedOf(single))} |`,
    `| cluster | ${fmt(bestOf(cluster.direct.runs))} | ${p99(fixedOf(cluster.direct.runs))} |`,
    '',
    '| queue | slot | master (port) |',
    '|---|---:|---:|',
    ...cluster.queueSlots.map((q) => `| ${q.queue} | ${q.slot} | ${q.masterPort} |`),
    '',
    '| master (port) | slots | keys after the run | of which queue keys | queues |',
    '|---:|---|---:|---:|---|',
    ...cluster.perMaster.map((m) => `| ${m.port} | ${m.slots} | ${fmt(m.keys)} | ${fmt(m.queueKeys)} | ${m.queues.join(', ') || '–'} |`),
    '',
    ...cluster.direct.runs.flatMap((run) => directRunSection(run)),
  ];
}

/** `--tracing`: each direct run with tracing off (the main runs) and on (every span exported), side by side. */
export function tracingSection(report: BenchReport): string[] {
  const traced = report.tracing;
  if (!traced) return [];
  const key = (run: DirectRun) => `${run.mode === 'fixed-rate' ? `${run.offeredPerSecond} msgs/s offered` : 'full speed'} (${run.transport})`;
  // The runs come in the same order with tracing off and on (the last fixed rate is half each one's own sustained rate).
  const off = report.direct?.runs ?? [];
  const ms = (value: number | undefined) => (value === undefined ? '–' : String(value));
  return [
    '## Tracing (OpenTelemetry) off vs on, in the same run',
    '',
    `On: OTEL_EXPORTER_OTLP_ENDPOINT set, always_on sampler, every span exported over OTLP/HTTP JSON to a local receiver that discards them (${fmt(traced.exportRequests)} export requests).`,
    '',
    '| run | tracing | msgs/s (sustained) | p99 send → receive | CPU ms/msg api | worker | server total |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...traced.direct.runs.flatMap((on, i) => {
      const before = off[i];
      const row = (label: string, run: DirectRun) =>
        `| ${key(run)} | ${label} | ${fmt(run.sustainedPerSecond)} | ${run.latencyMs.receive.p99} ms | ${ms(run.perMessage.cpuMs.api)} | ${ms(run.perMessage.cpuMs.worker)} | ${ms(run.perMessage.cpuMs.server)} |`;
      return [...(before ? [row('off', before)] : []), row('on', on)];
    }),
    '',
  ];
}
