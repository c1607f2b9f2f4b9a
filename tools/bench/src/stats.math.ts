import { round } from './process.probe';

export interface Percentiles {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (ms, one decimal) of a sample; zeros for an empty one. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: round(sorted[0] ?? 0, 1),
    p50: round(at(0.5), 1),
    p90: round(at(0.9), 1),
    p95: round(at(0.95), 1),
    p99: round(at(0.99), 1),
    max: round(sorted[sorted.length - 1] ?? 0, 1),
    mean: round(sum / sorted.length, 1),
  };
}

export interface Histogram {
  /** Upper edge of each bin, ms. */
  edges: number[];
  counts: number[];
  /** Values above the last edge. */
  overflow: number;
}

/** Equal-width bins from 0 to a round number near the 99.5th percentile (the tail goes to overflow). */
export function histogram(values: readonly number[], bins = 40): Histogram {
  if (values.length === 0) return { edges: [], counts: [], overflow: 0 };
  const sorted = Float64Array.from(values).sort();
  const top = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.995))] ?? 1;
  const width = niceStep(Math.max(top, 1) / bins);
  // A rounded-up width needs fewer bins to reach the top.
  const used = Math.min(bins, Math.ceil(Math.max(top, 1) / width) + 1);
  const edges = Array.from({ length: used }, (_, i) => round((i + 1) * width, 3));
  const counts = new Array<number>(used).fill(0);
  let overflow = 0;
  for (const value of sorted) {
    const index = Math.floor(value / width);
    if (index < used) counts[index] = (counts[index] ?? 0) + 1;
    else overflow += 1;
  }
  return { edges, counts, overflow };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Least-squares slope of y over x (e.g. RSS bytes per connected socket). */
export function slope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** Counts per whole second since `origin` (ms timestamps in, one entry per second out). */
export function perSecond(timestamps: readonly number[], origin: number, seconds: number): number[] {
  const buckets = new Array<number>(Math.max(0, Math.ceil(seconds))).fill(0);
  for (const t of timestamps) {
    const index = Math.floor((t - origin) / 1000);
    if (index >= 0 && index < buckets.length) buckets[index] = (buckets[index] ?? 0) + 1;
  }
  return buckets;
}

export function mb(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : round(bytes / (1024 * 1024), 1);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work` over items with at most `limit` at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
    }),
  );
  return results;
}
