import { DynamicModule, Module } from '@nestjs/common';
import { DbModule } from '@mq/db';
import { ObservabilityModule } from '@mq/observability';
import { QueueModule } from '@mq/queue';
import { ApiConfig } from './api.config';

export const API_CONFIG = Symbol('API_CONFIG');

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ logging: config.logging, httpRoutes: true }),
        DbModule.forRoot({ ...config.database, applicationName: 'mq-api' }),
        // A request must never hang on Redis: enqueues fail fast and the outbox retries them.
        QueueModule.forRoot({ config: config.queue, outagePolicy: 'fail-fast' }),
      ],
      providers: [{ provide: API_CONFIG, useValue: config }],
    };
  }
}
