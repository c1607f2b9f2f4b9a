import Redis from 'ioredis';
import { deleteQueueKeys, testQueueConfig } from '../testing';
import { trafficKey } from './redis-keys';
import { MinuteCounts, TrafficStore, emptyMinute, latencyBucket } from './traffic.store';

const MINUTE = 60_000;

function counts(messages: number, latencies: readonly number[]): MinuteCounts {
  const minute = emptyMinute();
  minute.messages = messages;
  for (const ms of latencies) minute.latency[latencyBucket(ms)] = (minute.latency[latencyBucket(ms)] ?? 0) + 1;
  return minute;
}

describe('TrafficStore', () => {
  const config = testQueueConfig();
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const store = new TrafficStore(redis, config.prefix);
  // Half past a minute, so "now" is inside the window's last minute.
  const now = Math.floor(Date.UTC(2026, 11, 7, 10, 0) / MINUTE) * MINUTE + 30_000;
  const thisMinute = Math.floor(now / MINUTE) * MINUTE;

  afterAll(async () => {
    await deleteQueueKeys(config);
    redis.disconnect();
  });

  it('adds up what several workers counted in the same minute, and summarises the last hour', async () => {
    await store.add(new Map([[thisMinute - 2 * MINUTE, counts(60, [5, 6, 7])]]), now);
    await store.add(new Map([[thisMinute - 2 * MINUTE, counts(30, [400])]]), now); // a second worker, same minute
    await store.add(new Map([[thisMinute, counts(10, [8])]]), now);
    const summary = await store.summary(now);
    expect(summary).toMatchObject({ windowSeconds: 3600, messages: 100, deliveries: 5 });
    // 100 messages over the 2.5 minutes since the first minute with traffic began.
    expect(summary.messagesPerSecond).toBeCloseTo(100 / 150, 1);
    expect(summary.p50Ms).toBeGreaterThan(5);
    expect(summary.p50Ms).toBeLessThanOrEqual(7);
    expect(summary.p99Ms).toBeGreaterThan(300);
    expect(summary.minutes).toHaveLength(60);
    expect(summary.minutes.at(-3)).toEqual({
      at: new Date(thisMinute - 2 * MINUTE).toISOString(),
      messages: 90,
      p50Ms: expect.any(Number),
      p99Ms: expect.any(Number),
    });
    expect(summary.minutes.at(-1)).toMatchObject({ at: new Date(thisMinute).toISOString(), messages: 10 });
    expect(summary.minutes.at(-2)).toEqual({ at: new Date(thisMinute - MINUTE).toISOString(), messages: 0, p50Ms: null, p99Ms: null });
  });

  it('leaves minutes outside the hour out of the summary, and drops those older than two hours', async () => {
    await store.add(new Map([[thisMinute - 90 * MINUTE, counts(1_000, [1])]]), now);
    expect((await store.summary(now)).messages).toBe(100);
    const later = now + 31 * MINUTE;
    await store.add(new Map([[Math.floor(later / MINUTE) * MINUTE, counts(1, [])]]), later);
    const fields = await redis.hkeys(trafficKey(config.prefix));
    expect(fields.some((field) => field.startsWith(`${Math.floor((thisMinute - 90 * MINUTE) / MINUTE)}:`))).toBe(false);
    expect(fields.some((field) => field.startsWith(`${Math.floor((thisMinute - 2 * MINUTE) / MINUTE)}:`))).toBe(true);
  });

  it('reads an empty hour as no traffic rather than failing', async () => {
    const empty = new TrafficStore(redis, `${config.prefix}-empty`);
    expect(await empty.summary(now)).toMatchObject({ messages: 0, messagesPerSecond: 0, deliveries: 0, p50Ms: null, p99Ms: null });
  });
});
