import type { QueueMetricMinute } from '@mq/db';
import type { MetricsHistory, MetricsSample } from '@mq/messaging-contracts';

const MINUTE_MS = 60_000;

/** Start of the oldest of the `minutes` minute buckets ending with the current one. */
export function historyWindowStart(nowMs: number, minutes: number): Date {
  return new Date(Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - (minutes - 1) * MINUTE_MS);
}

/**
 * Per-queue per-minute series, oldest first, with every known queue present. Minutes in
 * which nothing was sampled (no worker running) are absent rather than reported as zero.
 */
export function toMetricsHistory(rows: readonly QueueMetricMinute[], minutes: number, queues: readonly string[], nowMs: number): MetricsHistory {
  const from = historyWindowStart(nowMs, minutes).getTime();
  const series = new Map<string, Map<number, MetricsSample>>(queues.map((queue) => [queue, new Map()]));
  for (const row of rows) {
    const minute = Math.floor(row.minute.getTime() / MINUTE_MS) * MINUTE_MS;
    const samples = series.get(row.queue);
    if (!samples || minute < from || minute > nowMs) continue;
    const known = samples.get(minute);
    samples.set(minute, {
      at: new Date(minute).toISOString(),
      completed: (known?.completed ?? 0) + Number(row.completed),
      failed: (known?.failed ?? 0) + Number(row.failed),
      waiting: Math.max(known?.waiting ?? 0, Number(row.waiting)),
    });
  }
  return {
    minutes,
    queues: Object.fromEntries([...series].map(([queue, samples]) => [queue, [...samples.entries()].sort(([a], [b]) => a - b).map(([, sample]) => sample)])),
  };
}
