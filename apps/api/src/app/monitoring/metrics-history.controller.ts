import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Get, Query, HttpStatus } from '@nestjs/common';
import type { MetricsHistory } from '@mq/messaging-contracts';
import { QueueMetricRepository } from '@mq/db';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { Roles } from '../auth/auth.decorators';
import { historyWindowStart, toMetricsHistory } from './metrics-history';
import { MetricsHistoryQueryDto } from './monitoring.dto';

/** `GET /queue/metrics/history?minutes=`: the worker's 10-second samples, per minute. */
@Controller('queue/metrics/history')
@Roles('admin')
export class MetricsHistoryController {
  constructor(private readonly metrics: QueueMetricRepository) {}

  @ApiResult(HttpStatus.OK, 'MetricsHistory')
  @Get()
  async history(@Query() query: MetricsHistoryQueryDto): Promise<MetricsHistory> {
    const now = Date.now();
    const minutes = await this.metrics.minutesSince(historyWindowStart(now, query.minutes));
    return toMetricsHistory(minutes, query.minutes, QUEUE_NAMES, now);
  }
}
