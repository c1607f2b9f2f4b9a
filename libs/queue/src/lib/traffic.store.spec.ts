import { LATENCY_BUCKETS_MS, emptyMinute, latencyBucket, quantile } from './traffic.store';

const withSamples = (samples: readonly number[]) => {
  const latency = emptyMinute().latency;
  for (const ms of samples) latency[latencyBucket(ms)] = (latency[latencyBucket(ms)] ?? 0) + 1;
  return latency;
};

describe('traffic latency buckets', () => {
  it('puts a latency in the first bucket whose bound holds it, the rest in the open one', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.5)).toBe(1);
    expect(latencyBucket(10)).toBe(LATENCY_BUCKETS_MS.indexOf(10));
    expect(latencyBucket(10.1)).toBe(LATENCY_BUCKETS_MS.indexOf(15));
    expect(latencyBucket(10 * 60_000)).toBe(LATENCY_BUCKETS_MS.length);
  });

  it('answers quantiles within a bucket of the true value, and null without samples', () => {
    expect(quantile(emptyMinute().latency, 0.5)).toBeNull();
    // 90 fast deliveries (8 ms) and 10 slow ones (400 ms): the median is fast, p99 slow.
    const latency = withSamples([...new Array<number>(90).fill(8), ...new Array<number>(10).fill(400)]);
    const p50 = quantile(latency, 0.5) ?? NaN;
    const p99 = quantile(latency, 0.99) ?? NaN;
    expect(p50).toBeGreaterThan(7);
    expect(p50).toBeLessThanOrEqual(10);
    expect(p99).toBeGreaterThan(300);
    expect(p99).toBeLessThanOrEqual(500);
    expect(quantile(withSamples([5]), 1)).toBe(5);
  });

  it('answers the open bucket by its lower bound rather than inventing a value', () => {
    expect(quantile(withSamples([120_000]), 0.5)).toBe(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]);
  });
});
