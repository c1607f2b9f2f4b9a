import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxPublisher } from '@mq/messaging';
import { BullConnectionFactory } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { REDIS_EPOCH_RECOVERING, REDIS_EPOCH_RECOVERY_SECONDS, redisEpochKey } from './redis-epoch';
import { ReplicationLossDetector } from './replication-loss.detector';
import { SendJobReconciler } from './send-job.reconciler';

const PRUNE_EVERY_MS = 10 * 60_000;
const KEEP_PUBLISHED_MS = 24 * 3600_000;
const RECONCILE_EVERY_MAX_MS = 10_000;

/**
 * Publishes outbox rows the api could not (Redis down at send time, api killed between
 * commit and enqueue). Rows are locked with SKIP LOCKED, so any number of workers can run
 * it; job ids are deterministic, so a row published twice is still one job.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastPrune = 0;
  private lastReconcile = 0;

  constructor(
    private readonly outbox: OutboxPublisher,
    private readonly connections: BullConnectionFactory,
    private readonly reconciler: SendJobReconciler,
    private readonly replication: ReplicationLossDetector,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: publish everything pending (in batches); returns how many rows it published. */
  async relayOnce(): Promise<number> {
    await this.recoverLostJobs();
    const lostWindowMs = await this.replication.lostWindowMs();
    if (lostWindowMs !== undefined) {
      const republished = await this.outbox.republishUnfinished(lostWindowMs);
      this.logger.warn({ republished, windowMs: lostWindowMs }, 'publishing again the unfinished jobs a Redis failover may have lost');
    }
    let total = 0;
    for (;;) {
      const published = await this.outbox.relayPending(this.config.outbox.graceMs, this.config.outbox.batchSize);
      total += published;
      if (published < this.config.outbox.batchSize) break;
    }
    // Half the age it waits for: a job that vanished is seen within 1.5 times that.
    if (Date.now() - this.lastReconcile >= Math.min(RECONCILE_EVERY_MAX_MS, this.config.outbox.reconcileAfterMs / 2)) {
      this.lastReconcile = Date.now();
      await this.reconciler.reconcile();
    }
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.outbox.prunePublished(KEEP_PUBLISHED_MS);
    }
    return total;
  }

  /**
   * The epoch marker (see redis-epoch.ts) missing means Redis came back empty (or this is its
   * first use): the jobs published before are gone, so their outbox rows are published again.
   * SET NX: one worker does it; the marker reads "recovering" until it is done, so that no
   * reconciler takes those jobs for removed meanwhile.
   */
  private async recoverLostJobs(): Promise<void> {
    const redis = this.connections.commandConnection();
    const marker = redisEpochKey(this.config.queue.prefix);
    const created = await redis.set(marker, REDIS_EPOCH_RECOVERING, 'EX', REDIS_EPOCH_RECOVERY_SECONDS, 'NX');
    if (created !== 'OK') return;
    const republished = await this.outbox.republishUnfinished(KEEP_PUBLISHED_MS);
    await redis.set(marker, new Date().toISOString());
    if (republished > 0) this.logger.warn({ republished }, 'Redis lost its data: publishing unfinished outbox jobs again');
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.relayOnce()
        .then((published) => {
          if (published > 0) this.logger.log({ published }, 'outbox relay published pending jobs');
        })
        .catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'outbox relay pass failed'))
        .finally(() => {
          if (this.timer !== undefined) this.schedule(this.config.outbox.intervalMs);
        });
    }, delayMs);
  }
}
