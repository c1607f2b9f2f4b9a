import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bull';
import { type JobEventKind, type JobEventRecord, JobEventRepository } from '@mq/db';
import { QueueRegistry } from '@mq/queue';
import { jobSubject } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

const FLUSH_EVERY_MS = 250;
const FLUSH_AT = 500;
/** Beyond this (Postgres away for long), the oldest history is dropped rather than memory grown. */
const MAX_BUFFERED = 50_000;

/**
 * Records every job outcome (completed, an attempt failed, failed for good) in `job_events`,
 * the history behind message timelines and job search. Written in multi-row batches a few
 * times a second: at thousands of jobs a second, one insert per job would cost more than the job.
 */
@Injectable()
export class JobEventRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(JobEventRecorder.name);
  private buffer: JobEventRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly jobEvents: JobEventRepository,
    private readonly queues: QueueRegistry,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of this.config.queues) {
      const queue = this.queues.get(name);
      queue.on('completed', (job: Job) => this.push(name, job, 'completed', null));
      queue.on('failed', (job: Job, error: Error) => this.push(name, job, job.finishedOn ? 'failed' : 'attempt-failed', error.message));
    }
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  private push(queue: string, job: Job, kind: JobEventKind, error: string | null): void {
    const finished = job.finishedOn ?? Date.now();
    this.buffer.push({
      queue,
      jobId: String(job.id),
      jobName: job.name,
      kind,
      attempt: kind === 'completed' ? job.attemptsMade + 1 : job.attemptsMade,
      ...jobSubject(job.data),
      error: error ? error.slice(0, 2_000) : null,
      durationMs: job.processedOn ? Math.max(0, finished - job.processedOn) : null,
      at: new Date(finished),
    });
    if (this.buffer.length > MAX_BUFFERED) this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Serialised: one flush at a time, each taking what is buffered when it starts. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    try {
      await this.jobEvents.record(events);
    } catch (error) {
      // Put them back for the next flush (bounded by MAX_BUFFERED).
      this.buffer = [...events, ...this.buffer].slice(-MAX_BUFFERED);
      this.logger.warn({ err: error instanceof Error ? error.message : String(error), pending: this.buffer.length }, 'job events not written yet');
    }
  }
}
