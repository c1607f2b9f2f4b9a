import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One queue's row of one sampling round. */
export interface QueueMetricSample {
  queue: string;
  sampledAt: Date;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Jobs completed and failed since the previous round (the columns are named *_per_minute). */
  completed: number;
  failedSince: number;
  paused: boolean;
}

/** One queue's minute: the samples' counts summed, the highest backlog sampled. */
export interface QueueMetricMinute {
  queue: string;
  /** Start of the minute. */
  minute: Date;
  completed: number;
  failed: number;
  waiting: number;
}

/** The worker's 10-second queue samples: written by the monitoring leader, read per minute by the history. */
@Injectable()
export class QueueMetricRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(samples: readonly QueueMetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO queue_metric_samples (queue, sampled_at, waiting, active, delayed, failed, completed_per_minute, failed_per_minute, paused)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::boolean[])`,
      [
        samples.map((s) => s.queue),
        samples.map((s) => s.sampledAt),
        samples.map((s) => s.waiting),
        samples.map((s) => s.active),
        samples.map((s) => s.delayed),
        samples.map((s) => s.failed),
        samples.map((s) => s.completed),
        samples.map((s) => s.failedSince),
        samples.map((s) => s.paused),
      ],
    );
  }

  /** Where the table ends: a new leader continues from here. */
  async lastSampledAt(): Promise<Date | undefined> {
    const [row]: { last: Date | null }[] = await this.dataSource.query(`SELECT max(sampled_at) AS last FROM queue_metric_samples`);
    return row?.last ?? undefined;
  }

  /** Returns how many samples older than `before` were deleted. */
  async prune(before: Date): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(`DELETE FROM queue_metric_samples WHERE sampled_at < $1`, [before]);
    return deleted;
  }

  /** Summed in the database: a week is ~360k samples, a week of minutes ~60k rows. */
  async minutesSince(from: Date): Promise<QueueMetricMinute[]> {
    return this.dataSource.query(
      `SELECT queue, date_trunc('minute', sampled_at) AS minute,
              sum(completed_per_minute)::int AS completed, sum(failed_per_minute)::int AS failed, max(waiting) AS waiting
       FROM queue_metric_samples WHERE sampled_at >= $1 GROUP BY 1, 2`,
      [from],
    );
  }
}
