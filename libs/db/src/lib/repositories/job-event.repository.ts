import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobEventKind } from '../entities/job-event.entity';
import { preparedQuery } from '../prepared-query';

/** One thing that happened to a job; ids only, no content. */
export interface JobEventRecord {
  queue: string;
  jobId: string;
  jobName: string;
  kind: JobEventKind;
  /** The attempt it happened on (0 for an operator's retry). */
  attempt: number;
  /** The one message and user the job is about, when it is about one. */
  messageId: string | null;
  userId: string | null;
  error: string | null;
  durationMs: number | null;
  at: Date;
  /** The worker process (`host:pid`) that ran the attempt; null for an operator's retry. */
  worker: string | null;
  /** A failed attempt's stack. */
  stack: string | null;
}

/** One row of a job's history, as its page shows it. */
export type JobAttemptRecord = Pick<JobEventRecord, 'jobId' | 'kind' | 'attempt' | 'error' | 'durationMs' | 'at' | 'worker' | 'stack'>;

/** A job's latest event, as job search lists it. */
export interface JobEventMatch {
  queue: string;
  jobId: string;
  jobName: string;
  kind: JobEventKind;
  messageId: string | null;
  userId: string | null;
  error: string | null;
  at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `job_events`, the job history behind message timelines and job search: it outlives Bull's
 * bounded retention. The worker writes outcomes in batches, the api an operator's retries.
 */
@Injectable()
export class JobEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One multi-row insert: at thousands of jobs a second, one insert per job would cost more than the job. */
  async record(events: readonly JobEventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await preparedQuery(
      this.dataSource,
      `INSERT INTO job_events (queue, job_id, job_name, kind, attempt, message_id, user_id, error, duration_ms, at, worker, stack)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::uuid[], $7::uuid[], $8::text[], $9::int[], $10::timestamptz[],
                            $11::text[], $12::text[])`,
      [
        events.map((e) => e.queue),
        events.map((e) => e.jobId),
        events.map((e) => e.jobName),
        events.map((e) => e.kind),
        events.map((e) => e.attempt),
        events.map((e) => e.messageId),
        events.map((e) => e.userId),
        events.map((e) => e.error),
        events.map((e) => e.durationMs),
        events.map((e) => e.at),
        events.map((e) => e.worker),
        events.map((e) => e.stack),
      ],
    );
  }

  /** Everything that happened to a job, oldest first; at most `limit` rows. (A replay is a job of its own, with its own history.) */
  async history(jobId: string, limit: number): Promise<JobAttemptRecord[]> {
    return this.dataSource.query(
      `SELECT job_id AS "jobId", kind, attempt, error, duration_ms AS "durationMs", at, worker, stack FROM job_events
       WHERE job_id = $1 ORDER BY at, id LIMIT $2`,
      [jobId, limit],
    );
  }

  /**
   * The latest event of each job matching `q`, newest first, at most 100: by job id (or a
   * replay/retry of it), by message or user id, by a message a batch job delivered, or by
   * error text.
   */
  async search(q: string): Promise<JobEventMatch[]> {
    const id = UUID.test(q) ? q : null;
    return this.dataSource.query(
      `SELECT queue, job_id AS "jobId", job_name AS "jobName", kind, message_id AS "messageId", user_id AS "userId", error, at FROM (
         SELECT DISTINCT ON (job_id) queue, job_id, job_name, kind, message_id, user_id, error, at FROM job_events
         WHERE job_id = $1 OR job_id LIKE $1 || ':%' OR message_id = $2::uuid OR user_id = $2::uuid
            OR job_id IN (SELECT job_id FROM message_deliveries WHERE message_id = $2::uuid AND job_id IS NOT NULL)
            OR ($2::uuid IS NULL AND error ILIKE '%' || $1 || '%')
         ORDER BY job_id, at DESC, id DESC
       ) latest ORDER BY at DESC LIMIT 100`,
      [q, id],
    );
  }
}
