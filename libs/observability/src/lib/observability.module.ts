import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HealthService } from './health.service';
import { LoggingConfig, loggerParams } from './logging.config';
import { MetricsService } from './metrics.service';

export interface ObservabilityOptions {
  logging: LoggingConfig;
}

@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        LoggerModule.forRoot(loggerParams(options.logging)),
        // No terminus logger: HealthService writes one warn line per failing check instead of its multi-line dump.
        TerminusModule.forRoot({ logger: false }),
      ],
      providers: [HealthService, MetricsService],
      exports: [HealthService, MetricsService],
    };
  }
}
