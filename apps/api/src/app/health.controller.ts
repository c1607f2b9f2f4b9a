import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { HealthReport, HealthService, MetricsService } from '@mq/observability';
import { Public } from './auth/auth.decorators';

/** The part of the HTTP response these routes touch (Express's, structurally). */
interface StatusSettable {
  status(code: number): unknown;
}

/** `GET /health` and `GET /metrics`: no auth, no data beyond up/down and counters. */
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health')
  @Header('Cache-Control', 'no-store')
  async check(@Res({ passthrough: true }) res: StatusSettable): Promise<HealthReport> {
    const report = await this.health.check();
    res.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }

  @Get('metrics')
  @Header('Content-Type', MetricsService.contentType)
  @Header('Cache-Control', 'no-store')
  metricsText(): Promise<string> {
    return this.metrics.render();
  }
}
