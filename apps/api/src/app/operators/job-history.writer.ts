import { Injectable } from '@nestjs/common';
import { JobEventRepository } from '@mq/db';
import { jobSubject } from '@mq/queue-contracts';

export interface RetriedJob {
  queue: string;
  jobId: string;
  jobName: string;
  data: Record<string, unknown>;
}

/** The api's part of job history: operator retries, so a message's timeline shows who retried what, when. */
@Injectable()
export class JobHistoryWriter {
  constructor(private readonly jobEvents: JobEventRepository) {}

  async retried(jobs: readonly RetriedJob[]): Promise<void> {
    const at = new Date();
    await this.jobEvents.record(
      jobs.map((job) => ({
        queue: job.queue,
        jobId: job.jobId,
        jobName: job.jobName,
        kind: 'retried',
        attempt: 0,
        ...jobSubject(job.data),
        error: null,
        durationMs: null,
        at,
        worker: null,
        stack: null,
      })),
    );
  }
}
