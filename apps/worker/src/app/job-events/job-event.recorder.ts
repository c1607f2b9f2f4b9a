import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { type JobEventRecord, JobEventRepository } from '@mq/db';
import { jobSubject } from '@mq/queue-contracts';
import type { JobOutcomeEvent, JobOutcomeHandler } from './job-outcome';

const FLUSH_EVERY_MS = 250;
const FLUSH_AT = 500;
/** Beyond this (Postgres away for long), the oldest history is dropped rather than memory grown. */
const MAX_BUFFERED = 50_000;
/** Enough for the frames that matter; a stack is kept for failed attempts only. */
const MAX_STACK_CHARS = 4_000;

/**
 * Records every job outcome (completed, an attempt failed, failed for good) in `job_events`,
 * the history behind message timelines and job search. Written in multi-row batches a few
 * times a second: at thousands of jobs a second, one insert per job would cost more than the job.
 */
@Injectable()
export class JobEventRecorder implements JobOutcomeHandler, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(JobEventRecorder.name);
  private buffer: JobEventRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** As the heartbeat shows a process: the attempt history names the one that ran it. */
  private readonly worker = `${hostname()}:${process.pid}`;

  constructor(private readonly jobEvents: JobEventRepository) {}

  onApplicationBootstrap(): void {
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

  onJobOutcome({ queue, job, kind, error }: JobOutcomeEvent): void {
    const finished = job.finishedOn ?? Date.now();
    this.buffer.push({
      queue,
      jobId: String(job.id),
      jobName: job.name,
      kind,
      attempt: kind === 'completed' ? job.attemptsMade + 1 : job.attemptsMade,
      ...jobSubject(job.data),
      error: error ? error.message.slice(0, 2_000) : null,
      durationMs: job.processedOn ? Math.max(0, finished - job.processedOn) : null,
      at: new Date(finished),
      worker: this.worker,
      stack: error?.stack ? error.stack.slice(0, MAX_STACK_CHARS) : null,
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
