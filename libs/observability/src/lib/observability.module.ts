import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { LoggingConfig, loggerParams } from './logging.config';
import { MetricsService } from './metrics.service';

export interface ObservabilityOptions {
  logging: LoggingConfig;
  /** Mount `GET /health` and `GET /metrics` as Nest routes (the api); the worker serves them itself. */
  httpRoutes: boolean;
}

@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams(options.logging))],
      controllers: options.httpRoutes ? [HealthController] : [],
      providers: [HealthService, MetricsService],
      exports: [HealthService, MetricsService],
    };
  }
}
