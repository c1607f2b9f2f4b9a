import { Injectable } from '@nestjs/common';
import type { JobFailedEvent } from '@mq/messaging-contracts';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { RealtimeEmitter } from '@mq/messaging';
import { MetricsService } from '@mq/observability';
import type { JobOutcomeEvent, JobOutcomeHandler } from '../job-events/job-outcome';

/**
 * Job timings and outcomes for Prometheus, and `job:failed` to the admins when a job failed
 * for good: emitted by the worker that ran it, so once whatever the number of api instances.
 */
@Injectable()
export class JobOutcomeMetrics implements JobOutcomeHandler {
  constructor(
    private readonly metrics: MetricsService,
    private readonly realtime: RealtimeEmitter,
  ) {}

  onJobOutcome({ queue, job, kind }: JobOutcomeEvent): void {
    const finishedOn = job.finishedOn ?? Date.now();
    const durationMs = job.processedOn ? finishedOn - job.processedOn : 0;
    this.metrics.observeJob({ queue, name: job.name, outcome: kind === 'attempt-failed' ? 'retrying' : kind, durationSeconds: durationMs / 1000 });
    if (kind !== 'failed') return;
    const event: JobFailedEvent = { queue, jobId: String(job.id), name: job.name, failedReason: job.failedReason ?? '' };
    this.realtime.toAdmins(SOCKET_EVENTS.JOB_FAILED, event);
  }
}
