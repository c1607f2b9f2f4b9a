import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MinuteCounts, TrafficStore, emptyMinute, latencyBucket } from '@mq/queue';

const FLUSH_EVERY_MS = 5_000;
/** Minutes held while Redis is away; older ones are dropped rather than memory grown. */
const MAX_MINUTES_HELD = 120;

/**
 * Counts this process's real traffic (messages sent; send -> receive latency of the deliveries
 * devices acknowledge) per minute in memory, and adds it to the shared TrafficStore every few
 * seconds: a few Redis commands per flush, not one per message.
 */
@Injectable()
export class TrafficMeter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TrafficMeter.name);
  private pending = new Map<number, MinuteCounts>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: TrafficStore) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  messagesSent(count: number, atMs = Date.now()): void {
    if (count > 0) this.minute(atMs).messages += count;
  }

  /** A device acknowledged a delivery `latencyMs` after the message was due. */
  delivered(latencyMs: number, atMs = Date.now()): void {
    const counts = this.minute(atMs).latency;
    const bucket = latencyBucket(Math.max(0, latencyMs));
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }

  /** Serialised: one flush at a time, each taking what was counted when it starts. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private minute(atMs: number): MinuteCounts {
    const minute = Math.floor(atMs / 60_000) * 60_000;
    let counts = this.pending.get(minute);
    if (!counts) this.pending.set(minute, (counts = emptyMinute()));
    return counts;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const counts = this.pending;
    this.pending = new Map();
    try {
      await this.store.add(counts);
    } catch (error) {
      // Counted again at the next flush; a long outage keeps only the latest minutes.
      for (const [minute, { messages, latency }] of counts) {
        const into = this.minute(minute);
        into.messages += messages;
        latency.forEach((n, bucket) => (into.latency[bucket] = (into.latency[bucket] ?? 0) + n));
      }
      for (const minute of [...this.pending.keys()].sort((a, b) => a - b).slice(0, Math.max(0, this.pending.size - MAX_MINUTES_HELD)))
        this.pending.delete(minute);
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'traffic counts not written yet');
    }
  }
}
