import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Get, Query, HttpStatus } from '@nestjs/common';
import type { Alert } from '@mq/messaging-contracts';
import { AlertRepository } from '@mq/db';
import { Roles } from '../auth/auth.decorators';
import { ListAlertsQueryDto } from './monitoring.dto';

/** Resolved alerts accumulate: a list is bounded to the newest this many. */
const MAX_ALERTS = 500;

/** `GET /alerts?state=open|resolved`: what the worker's alert rules raised, newest first. */
@Controller('alerts')
@Roles('admin')
export class AlertsController {
  constructor(private readonly alerts: AlertRepository) {}

  @ApiResult(HttpStatus.OK, ['Alert'])
  @Get()
  list(@Query() query: ListAlertsQueryDto): Promise<Alert[]> {
    return this.alerts.list(query.state, MAX_ALERTS);
  }
}
