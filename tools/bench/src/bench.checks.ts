import { round } from './process.probe';
import { BenchReport, CorrectnessCheck, TargetCheck } from './report.writer';
import { fmt } from './report.sections';
import { LEVEL_OFF } from './soak.verdict';
import { TENTHS_TARGET_RATIO } from './soak-sizes.probe';

/** The performance targets (README "Performance (measured)"): 2 cores, everything co-located. */
export const TARGETS = {
  directPerSecond: 3_000,
  restPerSecond: 3_000,
  /** Direct messages over the socket ÷ raw Bull add+process with the delivery queue's options, in one run. */
  ceilingRatio: 0.4,
  /** Server CPU (api + worker + Postgres + Redis) per delivered message at full speed over the socket. */
  cpuMsPerMessage: 0.2,
  p99Ms: 20,
  offeredPerSecond: 500,
  broadcastRecipients: 1_000_000,
  broadcastMs: 20_000,
  sockets: 30_000,
  socketMBPerThousand: 10,
  soakMessages: 10_000_000,
  /** The ratio is a target only against a ceiling measured at full size: a short ceiling run on a busy machine reads low. */
  ceilingJobs: 30_000,
};

export function targetChecks(report: BenchReport): TargetCheck[] {
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
    checks.push({
      name: 'server CPU per delivered message at full speed (api + worker + Postgres + Redis)',
      target: `≤ ${TARGETS.cpuMsPerMessage} ms`,
      measured: `${full.perMessage.cpuMs.server} ms (${fmt(full.sustainedPerSecond)} msgs/s over ${full.transport === 'socket' ? 'the socket' : 'REST'})`,
      met: full.perMessage.cpuMs.server <= TARGETS.cpuMsPerMessage,
    });
  }
  const socketFull = report.direct?.runs.find((r) => r.mode === 'full-speed' && r.transport === 'socket');
  if (socketFull && report.ceiling) {
    const ratio = round(socketFull.sustainedPerSecond / report.ceiling.ceilingPerSecond, 3);
    checks.push({
      name: 'direct messages over the socket ÷ raw Bull add+process (delivery options), same run',
      target: `≥ ${TARGETS.ceilingRatio.toFixed(2)}`,
      measured: `${ratio} (${fmt(socketFull.sustainedPerSecond)} / ${fmt(report.ceiling.ceilingPerSecond)})`,
      met: report.ceiling.runs.every((r) => r.jobs >= TARGETS.ceilingJobs) ? ratio >= TARGETS.ceilingRatio : undefined,
    });
  }
  const restFull = report.direct?.runs.find((r) => r.mode === 'full-speed' && r.transport === 'rest');
  if (restFull) {
    checks.push({
      name: 'REST sends end to end',
      target: `≥ ${fmt(TARGETS.restPerSecond)} msgs/s`,
      measured: `${fmt(restFull.sustainedPerSecond)} msgs/s`,
      met: restFull.sustainedPerSecond >= TARGETS.restPerSecond,
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
      target: `${fmt(TARGETS.broadcastRecipients)} in ≤ ${TARGETS.broadcastMs / 1000} s`,
      measured:
        `${b.total.toLocaleString('en-US')} in ${b.totalMs === undefined ? 'n/a' : `${(b.totalMs / 1000).toFixed(1)} s`} (${b.status})` +
        // A linear projection only from a size where fixed costs no longer dominate.
        (atSize || projected === undefined || b.total < 5_000
          ? ''
          : `; linear projection to ${fmt(TARGETS.broadcastRecipients)}: ≈ ${(projected / 1000).toFixed(1)} s`),
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
    if (soak.tenths) {
      const { first, last, ratio } = soak.tenths;
      checks.push({
        name: 'soak: first 10% / last 10% throughput',
        target: `last ≥ ${TENTHS_TARGET_RATIO} × first`,
        measured: `${first.perSecond.toLocaleString('en-US')} → ${last.perSecond.toLocaleString('en-US')} msgs/s (ratio ${ratio})`,
        // Like the level-off target: a short soak's tenths last a second or less and say little.
        met: soak.delivered >= TARGETS.soakMessages ? ratio >= TENTHS_TARGET_RATIO : undefined,
      });
    }
  }
  const s = report.sockets;
  if (s) {
    checks.push({
      name: 'sockets on one api instance',
      target: `${fmt(TARGETS.sockets)} connected, ≤ ${TARGETS.socketMBPerThousand} MB RSS per 1,000`,
      measured: `${fmt(s.stillConnected)} of ${fmt(s.attempted)} connected, ${s.rssSlopePerThousandMB ?? '–'} MB RSS per 1,000`,
      met:
        s.requested >= TARGETS.sockets
          ? s.stillConnected >= TARGETS.sockets && s.rssSlopePerThousandMB !== undefined && s.rssSlopePerThousandMB <= TARGETS.socketMBPerThousand
          : undefined,
    });
  }
  return checks;
}

/** Nothing accepted may be lost or arrive twice, whatever the speed. */
export function correctnessChecks(report: BenchReport): CorrectnessCheck[] {
  const checks: CorrectnessCheck[] = [];
  const runs = [
    ...(report.direct?.runs ?? []).map((run) => ({ run, where: '' })),
    ...(report.cluster?.direct.runs ?? []).map((run) => ({ run, where: ' on the cluster' })),
    ...(report.tracing?.direct.runs ?? []).map((run) => ({ run, where: ' with tracing on' })),
  ];
  for (const { run, where } of runs) {
    const label = `${run.mode === 'fixed-rate' ? `direct, ${run.offeredPerSecond} msgs/s offered` : 'direct, full speed'} (${run.transport})${where}`;
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
