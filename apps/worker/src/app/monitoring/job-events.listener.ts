import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import type { JobFailedEvent } from '@mq/messaging-contracts';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { RealtimeEmitter } from '@mq/messaging';
import { JobOutcome, MetricsService } from '@mq/observability';
import { QueueRegistry } from '@mq/queue';
import { JobEventTally, TalliedEvent } from './job-event.tally';
import { MONITORING_OPTIONS, MonitoringOptions } from './monitoring.config';

/** Bound on waiting for Bull's event subscriptions at start-up (Redis may be down). */
const SUBSCRIBE_WAIT_MS = 5_000;

const GLOBAL_EVENTS: readonly [string, TalliedEvent][] = [
  ['global:completed', 'completed'],
  ['global:failed', 'failed'],
  ['global:stalled', 'stalled'],
];

/** Resolves once Bull has subscribed to a global event's channel. */
function subscribed(queue: Queue, event: string): Promise<void> {
  return new Promise((resolve) => queue.once(`registered:${event}`, () => resolve()));
}

/**
 * Listens to jobs finishing:
 * - Bull's global events (published by Redis whichever worker ran the job, heard once by
 *   each worker) on every queue, counted in the tally the elected sampler writes out;
 * - the local events of the queues this worker consumes (only the worker that ran the job
 *   hears them): job timings and outcomes for Prometheus, and `job:failed` to the admins
 *   when a job has failed for good, emitted once whatever the number of api instances.
 */
@Injectable()
export class JobEventsListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobEventsListener.name);

  constructor(
    private readonly queues: QueueRegistry,
    private readonly tally: JobEventTally,
    private readonly metrics: MetricsService,
    private readonly realtime: RealtimeEmitter,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const subscriptions: Promise<void>[] = [];
    for (const [name, queue] of this.queues.entries()) {
      for (const [event, counted] of GLOBAL_EVENTS) {
        subscriptions.push(subscribed(queue, event));
        queue.on(event, () => this.tally.record(name, counted, Date.now()));
      }
    }
    for (const [name, queue] of this.queues.entries()) {
      if (!this.options.consumedQueues.includes(name)) continue;
      queue.on('completed', (job: Job) => this.observe(name, job, 'completed'));
      queue.on('failed', (job: Job) => this.failed(name, job));
    }
    // Jobs finishing right after start-up must be counted: wait (bounded) for the subscriptions.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SUBSCRIBE_WAIT_MS)));
    const late = await Promise.race([Promise.all(subscriptions).then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.logger.warn('Bull event subscriptions not confirmed yet; job counts start when they are');
  }

  private failed(queue: string, job: Job): void {
    // finishedOn is only set when Bull gives up; otherwise a retry is scheduled.
    const final = Boolean(job.finishedOn);
    this.observe(queue, job, final ? 'failed' : 'retrying');
    if (!final) return;
    const event: JobFailedEvent = { queue, jobId: String(job.id), name: job.name, failedReason: job.failedReason ?? '' };
    this.realtime.toAdmins(SOCKET_EVENTS.JOB_FAILED, event);
  }

  private observe(queue: string, job: Job, outcome: JobOutcome): void {
    const finishedOn = job.finishedOn ?? Date.now();
    const durationMs = job.processedOn ? finishedOn - job.processedOn : 0;
    this.metrics.observeJob({ queue, name: job.name, outcome, durationSeconds: durationMs / 1000 });
  }
}
