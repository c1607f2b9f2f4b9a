import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

/** Keep what operators need to understand a failure, not an unbounded trace. */
const MAX_STACK_CHARS = 8_000;

/**
 * Writes every job that has exhausted its attempts (or was failed for good) to
 * `dead_letters`: durable, searchable and replayable long after Bull's bounded retention
 * has dropped it. Payloads hold ids only, so nothing sensitive is copied.
 */
@Injectable()
export class DeadLetterRecorder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of this.config.queues) {
      this.queues.get(name).on('failed', (job: Job, error: Error) => {
        // finishedOn is only set when Bull gives up; a failure with retries left is just delayed.
        if (!job.finishedOn) return;
        this.record(name, job, error).catch((failure: unknown) =>
          this.logger.error({ jobId: job.id, queue: name, err: String(failure) }, 'could not record a dead letter'),
        );
      });
    }
  }

  async record(queue: string, job: Job, error: Error): Promise<void> {
    const stack = (job.stacktrace ?? []).join('\n\n') || error.stack || null;
    await this.dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, stacktrace, attempts_made, failed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0))
       ON CONFLICT (job_id, failed_at) DO NOTHING`,
      [
        queue,
        String(job.id),
        job.name,
        JSON.stringify(job.data ?? {}),
        job.failedReason ?? error.message,
        stack ? stack.slice(0, MAX_STACK_CHARS) : null,
        job.attemptsMade,
        job.finishedOn,
      ],
    );
    this.logger.warn({ queue, jobId: job.id, jobName: job.name, reason: job.failedReason }, 'job dead-lettered');
  }
}
