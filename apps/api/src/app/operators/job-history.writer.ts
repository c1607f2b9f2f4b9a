import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
  constructor(private readonly dataSource: DataSource) {}

  async retried(jobs: readonly RetriedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO job_events (queue, job_id, job_name, kind, attempt, message_id, user_id)
       SELECT q, j, n, 'retried', 0, m, u FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::uuid[]) AS t(q, j, n, m, u)`,
      [
        jobs.map((j) => j.queue),
        jobs.map((j) => j.jobId),
        jobs.map((j) => j.jobName),
        jobs.map((j) => jobSubject(j.data).messageId),
        jobs.map((j) => jobSubject(j.data).userId),
      ],
    );
  }
}
