import type { TrafficMinute, TrafficSummary } from '@mq/messaging-contracts';
import type { RedisConnection } from './bull-connection.factory';
import { trafficKey } from './redis-keys';

/** Upper bounds (ms) of the latency buckets; a last, open bucket holds the rest. */
export const LATENCY_BUCKETS_MS = Object.freeze([1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 2_000, 5_000, 10_000, 30_000]);

/** What one process counted in one minute: messages sent, and deliveries acknowledged per latency bucket. */
export interface MinuteCounts {
  messages: number;
  /** LATENCY_BUCKETS_MS.length + 1 counts. */
  latency: number[];
}

const MINUTE_MS = 60_000;
/** Minutes kept in Redis: the window, and as much again for a late reader. */
const KEEP_MINUTES = 120;

export const emptyMinute = (): MinuteCounts => ({ messages: 0, latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) });

export function latencyBucket(ms: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index < 0 ? LATENCY_BUCKETS_MS.length : index;
}

/**
 * The `q` quantile of bucketed samples, interpolated within its bucket (the open bucket answers
 * its lower bound); null without samples. Bucket bounds make it exact to a few percent, which is
 * what a headline needs, at a fixed cost per minute however much traffic there was.
 */
export function quantile(latency: readonly number[], q: number): number | null {
  const total = latency.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [index, count] of latency.entries()) {
    if (count === 0) continue;
    if (seen + count >= rank) {
      const lower = index === 0 ? 0 : (LATENCY_BUCKETS_MS[index - 1] ?? 0);
      const upper = LATENCY_BUCKETS_MS[index];
      if (upper === undefined) return lower;
      return Math.round((lower + ((rank - seen) / count) * (upper - lower)) * 10) / 10;
    }
    seen += count;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? null;
}

/**
 * Real traffic per minute in one Redis hash, added to by every worker (HINCRBY: two workers'
 * counts of the same minute add up) and read by the api for the dashboard's headline. A field
 * per minute and non-empty bucket, so an hour is a few hundred fields whatever the rate.
 */
export class TrafficStore {
  private readonly key: string;
  /** The minute of the last prune: minutes age out one a minute, so reading the fields more often finds nothing to drop. */
  private prunedMinute = -1;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
  ) {
    this.key = trafficKey(prefix);
  }

  /** Adds counts by minute (epoch ms of the minute's start); drops minutes older than what is kept. */
  async add(counts: ReadonlyMap<number, MinuteCounts>, nowMs = Date.now()): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [minute, { messages, latency }] of counts) {
      const id = Math.floor(minute / MINUTE_MS);
      if (messages > 0) pipeline.hincrby(this.key, `${id}:m`, messages);
      latency.forEach((n, bucket) => n > 0 && pipeline.hincrby(this.key, `${id}:${bucket}`, n));
    }
    if (pipeline.length > 0) await pipeline.exec();
    const minute = Math.floor(nowMs / MINUTE_MS);
    if (minute !== this.prunedMinute) {
      this.prunedMinute = minute;
      await this.prune(nowMs);
    }
  }

  /** The last `windowMinutes` minutes up to `nowMs`. */
  async summary(nowMs = Date.now(), windowMinutes = 60): Promise<TrafficSummary> {
    const fields = await this.redis.hgetall(this.key);
    const last = Math.floor(nowMs / MINUTE_MS);
    const first = last - windowMinutes + 1;
    const byMinute = new Map<number, MinuteCounts>();
    for (const [field, value] of Object.entries(fields)) {
      const [minuteText, part] = field.split(':');
      const minute = Number(minuteText);
      if (!Number.isInteger(minute) || minute < first || minute > last) continue;
      const counts = byMinute.get(minute) ?? emptyMinute();
      byMinute.set(minute, counts);
      if (part === 'm') counts.messages += Number(value);
      else if (Number(part) >= 0 && Number(part) < counts.latency.length) counts.latency[Number(part)] = (counts.latency[Number(part)] ?? 0) + Number(value);
    }
    const all = emptyMinute();
    const minutes: TrafficMinute[] = [];
    for (let minute = first; minute <= last; minute++) {
      const counts = byMinute.get(minute) ?? emptyMinute();
      all.messages += counts.messages;
      counts.latency.forEach((n, bucket) => (all.latency[bucket] = (all.latency[bucket] ?? 0) + n));
      minutes.push({
        at: new Date(minute * MINUTE_MS).toISOString(),
        messages: counts.messages,
        p50Ms: quantile(counts.latency, 0.5),
        p99Ms: quantile(counts.latency, 0.99),
      });
    }
    const busy = [...byMinute.keys()].sort((a, b) => a - b)[0];
    const seconds = busy === undefined ? 0 : Math.max(1, (nowMs - busy * MINUTE_MS) / 1000);
    return {
      windowSeconds: windowMinutes * 60,
      messages: all.messages,
      messagesPerSecond: seconds === 0 ? 0 : Math.round((all.messages / seconds) * 10) / 10,
      deliveries: all.latency.reduce((sum, n) => sum + n, 0),
      p50Ms: quantile(all.latency, 0.5),
      p99Ms: quantile(all.latency, 0.99),
      minutes,
    };
  }

  private async prune(nowMs: number): Promise<void> {
    const oldest = Math.floor(nowMs / MINUTE_MS) - KEEP_MINUTES;
    const stale = (await this.redis.hkeys(this.key)).filter((field) => Number(field.split(':')[0]) < oldest);
    if (stale.length > 0) await this.redis.hdel(this.key, ...stale);
  }
}
