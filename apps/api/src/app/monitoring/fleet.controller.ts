import { Controller, Get, HttpStatus } from '@nestjs/common';
import type { RedisReport, TrafficSummary, WorkerProcess } from '@mq/messaging-contracts';
import { RedisReporter, TrafficStore, WorkerRegistry } from '@mq/queue';
import { Roles } from '../auth/auth.decorators';
import { ApiResult } from '../openapi/api-result.decorator';

/** What the pipeline runs on and carries: the worker processes (from their heartbeats), the Redis nodes, the traffic. */
@Controller()
@Roles('admin')
export class FleetController {
  constructor(
    private readonly workers: WorkerRegistry,
    private readonly redis: RedisReporter,
    private readonly traffic: TrafficStore,
  ) {}

  @ApiResult(HttpStatus.OK, 'TrafficSummary', 'Messages/s and send -> receive p50/p99 over the last hour, with each minute')
  @Get('traffic')
  trafficSummary(): Promise<TrafficSummary> {
    return this.traffic.summary();
  }

  @ApiResult(HttpStatus.OK, ['WorkerProcess'], 'Alive workers first; a worker that missed three heartbeats is lost, and forgotten after an hour')
  @Get('workers')
  listWorkers(): Promise<WorkerProcess[]> {
    return this.workers.list();
  }

  @ApiResult(HttpStatus.OK, 'RedisReport')
  @Get('redis')
  redisReport(): Promise<RedisReport> {
    return this.redis.report();
  }
}
