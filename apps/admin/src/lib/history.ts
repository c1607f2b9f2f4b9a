import type { MetricsHistory } from '@mq/messaging-contracts';

const MINUTE_MS = 60_000;

/** The two windows the dashboard offers. */
export const HISTORY_WINDOWS = [
  { minutes: 60, label: 'Last hour', bucketMinutes: 1 },
  { minutes: 24 * 60, label: 'Last 24 hours', bucketMinutes: 10 },
] as const;

export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

/** One chart point per bucket; null where nothing was sampled (no worker ran): a gap, not a zero. */
export interface HistorySeries {
  /** Start of each bucket (ms). */
  times: number[];
  /** Jobs per minute (a bucket's average when it spans several minutes). */
  completed: (number | null)[];
  failed: (number | null)[];
  /** The highest backlog (waiting) sampled in the bucket. */
  waiting: (number | null)[];
  bucketMinutes: number;
  totals: { completed: number; failed: number; peakWaiting: number; sampledMinutes: number };
}

/**
 * Turns `GET /queue/metrics/history` into chart series for one queue or all of them
 * (summed), `minutes` long and ending with the current minute, in buckets of `bucketMinutes`.
 */
export function buildHistorySeries(history: MetricsHistory, queue: string | 'all', minutes: number, bucketMinutes: number, nowMs: number): HistorySeries {
  const bucketMs = bucketMinutes * MINUTE_MS;
  const endMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const start = Math.floor((endMinute - (minutes - 1) * MINUTE_MS) / bucketMs) * bucketMs;
  const count = Math.floor((endMinute - start) / bucketMs) + 1;

  interface Bucket {
    completed: number;
    failed: number;
    waiting: number;
    /** Distinct sampled minutes, so an average is over the minutes that have data. */
    minutes: Set<number>;
  }
  const buckets: (Bucket | null)[] = Array.from({ length: count }, () => null);
  const queues = queue === 'all' ? Object.keys(history.queues) : [queue];
  const totals = { completed: 0, failed: 0, peakWaiting: 0, sampledMinutes: 0 };
  const sampled = new Set<number>();
  // Per minute, the backlog of all queues together is their sum.
  const waitingPerMinute = new Map<number, number>();

  for (const name of queues) {
    for (const sample of history.queues[name] ?? []) {
      const at = Date.parse(sample.at);
      if (Number.isNaN(at) || at < start || at > endMinute) continue;
      const index = Math.floor((at - start) / bucketMs);
      const bucket = (buckets[index] ??= { completed: 0, failed: 0, waiting: 0, minutes: new Set() });
      bucket.completed += sample.completed;
      bucket.failed += sample.failed;
      bucket.minutes.add(at);
      waitingPerMinute.set(at, (waitingPerMinute.get(at) ?? 0) + sample.waiting);
      totals.completed += sample.completed;
      totals.failed += sample.failed;
      sampled.add(at);
    }
  }
  for (const [at, waiting] of waitingPerMinute) {
    const bucket = buckets[Math.floor((at - start) / bucketMs)];
    if (bucket) bucket.waiting = Math.max(bucket.waiting, waiting);
    totals.peakWaiting = Math.max(totals.peakWaiting, waiting);
  }
  totals.sampledMinutes = sampled.size;

  const perMinute = (value: number, bucket: Bucket) => Math.round((value / Math.max(1, bucket.minutes.size)) * 10) / 10;
  return {
    times: buckets.map((_, index) => start + index * bucketMs),
    completed: buckets.map((bucket) => (bucket ? perMinute(bucket.completed, bucket) : null)),
    failed: buckets.map((bucket) => (bucket ? perMinute(bucket.failed, bucket) : null)),
    waiting: buckets.map((bucket) => (bucket ? bucket.waiting : null)),
    bucketMinutes,
    totals,
  };
}

/** A round upper bound for a y axis: 1, 2, 5, 10, 20, 50... at least `max`. */
export function niceCeiling(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= max) return step * magnitude;
  }
  return 10 * magnitude;
}
