import { round } from './process.probe';
import { slope } from './stats.math';

/** A series levels off when its last-quarter maximum exceeds its second-quarter maximum by at most this much. */
export const LEVEL_OFF = { percent: 10, mb: 5 };
export interface SoakSample {
  stage: 'start' | 'sending' | 'drain' | 'end';
  /** Since the first send. */
  seconds: number;
  accepted: number;
  received: number;
  delivered: number;
  /** Delivered per second over the interval since the previous sample. */
  deliveredPerSecond: number;
  redisUsedMemoryMB?: number;
  /** DBSIZE of the queue db (the bench's queue prefix and whatever else shares that db). */
  redisKeys?: number;
  apiRssMB?: number;
  workerRssMB?: number;
  /** The bench's own RSS: its bookkeeping must stay flat too. */
  benchRssMB: number;
  /** How long the readings took (with --start, each RSS read forces a full GC first). */
  readMs: number;
}

export type SoakSeries = 'Redis used_memory' | 'api RSS' | 'worker RSS';

export interface SoakVerdict {
  series: SoakSeries;
  samples: number;
  secondQuarterMaxMB?: number;
  lastQuarterMaxMB?: number;
  growthMB?: number;
  growthPercent?: number;
  /** Least squares over the second half of the samples, MB per 100,000 messages delivered. */
  slopePer100kMB?: number;
  /** undefined: fewer than 4 samples, or the series was not readable. */
  levelledOff: boolean | undefined;
}

export const LEVEL_OFF_RULE =
  `levels off when the maximum of the last quarter of the samples is at most ${LEVEL_OFF.percent}% ` +
  `or ${LEVEL_OFF.mb} MB above the maximum of the second quarter (the first quarter is warm-up)`;

/** Maximum of the values, or undefined for none (no spread: a long soak has thousands of samples). */
export function maxOf(values: readonly number[]): number | undefined {
  let max: number | undefined;
  for (const value of values) if (max === undefined || value > max) max = value;
  return max;
}

/**
 * Levelled off or not, by the rule above: the first quarter is warm-up (pools, JIT, Redis
 * filling to its retention), the second is the reference, the last must not be much above it.
 */
export function verdictFor(series: SoakSeries, samples: readonly SoakSample[], pick: (s: SoakSample) => number | undefined): SoakVerdict {
  const points: { x: number; y: number }[] = [];
  for (const sample of samples) {
    const y = pick(sample);
    if (y !== undefined) points.push({ x: sample.delivered, y });
  }
  const n = points.length;
  if (n < 4) return { series, samples: n, levelledOff: undefined };
  const second = maxOf(points.slice(Math.floor(n / 4), Math.floor(n / 2)).map((p) => p.y)) ?? 0;
  const last = maxOf(points.slice(Math.floor((3 * n) / 4)).map((p) => p.y)) ?? 0;
  const growth = last - second;
  const perMessage = slope(points.slice(Math.floor(n / 2)));
  return {
    series,
    samples: n,
    secondQuarterMaxMB: round(second, 1),
    lastQuarterMaxMB: round(last, 1),
    growthMB: round(growth, 1),
    growthPercent: second > 0 ? round((growth / second) * 100, 1) : undefined,
    slopePer100kMB: perMessage === undefined ? undefined : round(perMessage * 100_000, 2),
    levelledOff: growth <= LEVEL_OFF.mb || growth <= (second * LEVEL_OFF.percent) / 100,
  };
}
