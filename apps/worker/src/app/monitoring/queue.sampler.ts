import { Injectable } from '@nestjs/common';
import { QueueMetricRepository } from '@mq/db';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { QueueName } from '@mq/queue-contracts';
import { JobEventTally } from './job-event.tally';

/** Samples are kept this long: the history endpoint reaches back 7 days at most. */
const RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/** One queue's state as Bull holds it at one instant. */
export interface QueueGauges {
  queue: QueueName;
  /** Waiting plus paused: jobs that would run if a worker were free. */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  paused: boolean;
  oldestWaitingMs: number;
}

/**
 * Writes one `queue_metric_samples` row per queue and round: the gauges, plus the jobs
 * completed and failed since the previous row (the columns named *_per_minute hold these
 * counts; the history sums them per minute). Rows cover back-to-back whole-second ranges
 * starting where the table ends, so a new leader continues exactly where the last one
 * stopped and no job is counted twice.
 */
@Injectable()
export class QueueSampler {
  /** Events before this instant (ms, a whole second) are already written. */
  private writtenUntil?: number;
  private lastPrune = 0;

  constructor(
    private readonly metrics: QueueMetricRepository,
    private readonly producer: MessageQueueService,
    private readonly queues: QueueRegistry,
    private readonly tally: JobEventTally,
  ) {}

  async readGauges(): Promise<QueueGauges[]> {
    return Promise.all(
      this.queues.entries().map(async ([queue, bull]) => {
        const [health, delayed] = await Promise.all([this.producer.getQueueHealth(queue), bull.getDelayedCount()]);
        return {
          queue,
          waiting: health.waiting,
          active: health.active,
          delayed,
          failed: health.failed,
          paused: health.paused,
          oldestWaitingMs: health.oldestWaitingMs,
        };
      }),
    );
  }

  /** Writes the samples of one round, taken at `nowMs`. */
  async write(gauges: readonly QueueGauges[], nowMs: number): Promise<void> {
    const from = this.writtenUntil ?? (await this.lastWritten()) ?? Math.floor(this.tally.since / 1000) * 1000;
    const to = Math.floor(nowMs / 1000) * 1000;
    if (to <= from || gauges.length === 0) return;
    await this.metrics.append(
      gauges.map((g) => {
        const counts = this.tally.count(g.queue, from, to);
        return { ...g, sampledAt: new Date(to), completed: counts.completed, failedSince: counts.failed };
      }),
    );
    this.writtenUntil = to;
    if (nowMs - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = nowMs;
      await this.metrics.prune(new Date(nowMs - RETENTION_MS));
    }
  }

  /** Leadership changed hands: continue from what the table holds, whoever wrote it. */
  forgetProgress(): void {
    this.writtenUntil = undefined;
  }

  private async lastWritten(): Promise<number | undefined> {
    return (await this.metrics.lastSampledAt())?.getTime();
  }
}
