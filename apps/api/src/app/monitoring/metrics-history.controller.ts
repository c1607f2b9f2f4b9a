import { Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MetricsHistory } from '@mq/messaging-contracts';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { Roles } from '../auth/auth.decorators';
import { MinuteRow, historyWindowStart, toMetricsHistory } from './metrics-history';
import { MetricsHistoryQueryDto } from './monitoring.dto';

/** `GET /queue/metrics/history?minutes=`: the worker's 10-second samples, per minute. */
@Controller('queue/metrics/history')
@Roles('admin')
export class MetricsHistoryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async history(@Query() query: MetricsHistoryQueryDto): Promise<MetricsHistory> {
    const now = Date.now();
    // Summed in the database: a week is ~360k samples, a week of minutes ~60k rows.
    const rows = (await this.dataSource.query(
      `SELECT queue, date_trunc('minute', sampled_at) AS minute,
              sum(completed_per_minute)::int AS completed, sum(failed_per_minute)::int AS failed, max(waiting) AS waiting
       FROM queue_metric_samples
       WHERE sampled_at >= $1
       GROUP BY 1, 2`,
      [historyWindowStart(now, query.minutes)],
    )) as MinuteRow[];
    return toMetricsHistory(rows, query.minutes, QUEUE_NAMES, now);
  }
}
