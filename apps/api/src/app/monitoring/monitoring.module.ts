import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AdminGateway } from './admin.gateway';
import { AlertsController } from './alerts.controller';
import { FleetController } from './fleet.controller';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsHistoryController } from './metrics-history.controller';

/** The api's monitoring surface: metrics history, alerts, workers and Redis, the `/admin` namespace, HTTP timings. */
@Module({
  controllers: [MetricsHistoryController, AlertsController, FleetController],
  providers: [AdminGateway],
})
export class MonitoringModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
