import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { QueueRegistry } from '@mq/queue';
import { DeadLetterRecorder } from '../dead-letters/dead-letter.recorder';
import { JobOutcomeMetrics } from '../monitoring/job-outcome.metrics';
import { WorkerHeartbeat } from '../monitoring/worker.heartbeat';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { JobEventRecorder } from './job-event.recorder';
import { JobOutcomeEvent, JobOutcomeHandler } from './job-outcome';

/**
 * The one listener to the outcomes of the jobs this worker runs (Bull's local `completed` and
 * `failed`). Each outcome goes, in this order, to job history (`job_events`, what timelines and
 * job search read), dead letters and failed deliveries, metrics and the admins' alert, and this
 * worker's heartbeat counts.
 */
@Injectable()
export class JobOutcomeSubscriber implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobOutcomeSubscriber.name);
  private readonly handlers: readonly JobOutcomeHandler[];

  constructor(
    private readonly queues: QueueRegistry,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    history: JobEventRecorder,
    deadLetters: DeadLetterRecorder,
    metrics: JobOutcomeMetrics,
    heartbeat: WorkerHeartbeat,
  ) {
    this.handlers = [history, deadLetters, metrics, heartbeat];
  }

  onApplicationBootstrap(): void {
    for (const name of this.config.queues) {
      const queue = this.queues.get(name);
      queue.on('completed', (job: Job) => this.dispatch({ queue: name, job, kind: 'completed', error: null }));
      // finishedOn is only set when Bull gives up; a failure with retries left is just delayed.
      queue.on('failed', (job: Job, error: Error) => this.dispatch({ queue: name, job, kind: job.finishedOn ? 'failed' : 'attempt-failed', error }));
    }
  }

  private dispatch(outcome: JobOutcomeEvent): void {
    for (const handler of this.handlers) {
      try {
        handler.onJobOutcome(outcome);
      } catch (error) {
        this.logger.error({ queue: outcome.queue, jobId: outcome.job.id, err: String(error) }, 'a job outcome handler failed');
      }
    }
  }
}
