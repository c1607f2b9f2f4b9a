import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { DeadLetterRepository, DeliveryRepository } from '@mq/db';
import { JOB, SendMessageJob } from '@mq/queue-contracts';
import type { JobOutcomeEvent, JobOutcomeHandler } from '../job-events/job-outcome';

/**
 * Writes every job that has exhausted its attempts (or was failed for good: stalled past its
 * limit, timed out) to `dead_letters`: durable, searchable and replayable long after Bull's
 * bounded retention has dropped it. Payloads hold ids only, so nothing sensitive is copied.
 *
 * A send job's failures are also written to the deliveries it carried, whatever the cause: its
 * transaction rolled back, so only this listener sees them. Each attempt leaves its count and
 * error on the rows still queued, and the last one marks them `failed` (the message too), so
 * an operator finds them in the failed deliveries and the timeline and can retry them.
 */
@Injectable()
export class DeadLetterRecorder implements JobOutcomeHandler {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  onJobOutcome({ queue, job, kind, error }: JobOutcomeEvent): void {
    if (kind === 'completed' || !error) return;
    const final = kind === 'failed';
    if (job.name === JOB.SEND_MESSAGE) {
      this.recordDeliveryFailure(job as Job<SendMessageJob>, error, final).catch((failure: unknown) =>
        this.logger.error({ jobId: job.id, queue, err: String(failure) }, 'could not record a failed delivery'),
      );
    }
    if (!final) return;
    this.record(queue, job, error).catch((failure: unknown) =>
      this.logger.error({ jobId: job.id, queue, err: String(failure) }, 'could not record a dead letter'),
    );
  }

  async record(queue: string, job: Job, error: Error): Promise<void> {
    const stack = (job.stacktrace ?? []).join('\n\n') || error.stack || null;
    await this.deadLetters.record({
      queue,
      jobId: String(job.id),
      jobName: job.name,
      data: job.data ?? {},
      failedReason: job.failedReason ?? error.message,
      stacktrace: stack,
      attemptsMade: job.attemptsMade,
      failedAt: new Date(job.finishedOn ?? Date.now()),
    });
    this.logger.warn({ queue, jobId: job.id, jobName: job.name, reason: job.failedReason }, 'job dead-lettered');
  }

  /** The rows the failed send still owed: the attempt and its error, and on the last attempt `failed`. */
  async recordDeliveryFailure(job: Job<SendMessageJob>, error: Error, final: boolean): Promise<void> {
    await this.deliveries.recordSendJobFailure({
      messageIds: job.data?.messageIds ?? [],
      attempts: job.attemptsMade,
      reason: job.failedReason ?? error.message,
      final,
      attemptStartedAt: job.processedOn ? new Date(job.processedOn) : undefined,
    });
  }
}
