import { Controller, Get, HttpStatus } from '@nestjs/common';
import type { RedisReport, WorkerProcess } from '@mq/messaging-contracts';
import { RedisReporter, WorkerRegistry } from '@mq/queue';
import { Roles } from '../auth/auth.decorators';
import { ApiResult } from '../openapi/api-result.decorator';

/** What the pipeline runs on: the worker processes (from their heartbeats) and the Redis nodes. */
@Controller()
@Roles('admin')
export class FleetController {
  constructor(
    private readonly workers: WorkerRegistry,
    private readonly redis: RedisReporter,
  ) {}

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
