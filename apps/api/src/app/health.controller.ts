import { ApiResult } from './openapi/api-result.decorator';
import { Controller, Get, Header, Headers, HttpStatus, Inject, Res, UnauthorizedException } from '@nestjs/common';
import type { HealthResponse } from '@mq/messaging-contracts';
import { HealthService, MetricsService, metricsAllowed } from '@mq/observability';
import { API_CONFIG, ApiConfig } from './api.config';
import { Public } from './auth/auth.decorators';

/** The part of the HTTP response these routes touch (Express's, structurally). */
interface StatusSettable {
  status(code: number): unknown;
}

/** `GET /health` and `GET /metrics`: no session, no data beyond up/down and counters; `/metrics` takes METRICS_TOKEN when one is set. */
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @ApiResult(HttpStatus.OK, 'HealthResponse')
  @ApiResult(HttpStatus.SERVICE_UNAVAILABLE, 'HealthResponse', 'A dependency is down')
  @Get('health')
  @Header('Cache-Control', 'no-store')
  async check(@Res({ passthrough: true }) res: StatusSettable): Promise<HealthResponse> {
    const report = await this.health.check();
    res.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }

  @ApiResult(HttpStatus.OK, undefined, 'Prometheus text format')
  @Get('metrics')
  @Header('Content-Type', MetricsService.contentType)
  @Header('Cache-Control', 'no-store')
  metricsText(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!metricsAllowed(authorization, this.config.metricsToken)) throw new UnauthorizedException('The metrics token is missing or wrong');
    return this.metrics.render();
  }
}
