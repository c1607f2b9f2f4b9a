import { DynamicModule, Module } from '@nestjs/common';
import { DbModule } from '@mq/db';
import { MessagingModule, realtimeChannelPrefix } from '@mq/messaging';
import { ObservabilityModule } from '@mq/observability';
import { QueueModule } from '@mq/queue';
import { API_CONFIG, ApiConfig } from './api.config';
import { AuthModule } from './auth/auth.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DemoModule } from './demo/demo.module';
import { MessagesModule } from './messages/messages.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { NotificationsModule } from './notifications/notifications.module';
import { OperatorsModule } from './operators/operators.module';
import { ProvidersModule } from './providers/providers.module';
import { RealtimeModule } from './realtime/realtime.module';
import { HealthController } from './health.controller';
import { UsersModule } from './users/users.module';

/** The validated config, injectable anywhere as API_CONFIG. */
@Module({})
class ApiConfigModule {}

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        { module: ApiConfigModule, global: true, providers: [{ provide: API_CONFIG, useValue: config }], exports: [API_CONFIG] },
        ObservabilityModule.forRoot({ logging: config.logging }),
        DbModule.forRoot({ ...config.database, applicationName: 'mq-api' }),
        // A request must never hang on Redis: enqueues fail fast and the outbox retries them.
        QueueModule.forRoot({ config: config.queue, outagePolicy: 'fail-fast' }),
        MessagingModule.forRoot({ keyring: config.keyring, realtime: { channelPrefix: realtimeChannelPrefix(config.queue.prefix) } }),
        AuthModule.forRoot(config.auth),
        UsersModule,
        ConversationsModule,
        MessagesModule,
        RealtimeModule,
        NotificationsModule,
        ProvidersModule,
        OperatorsModule,
        MonitoringModule,
        // The demo school and its trickle of traffic: only when DEMO_DATA is on (never in production).
        ...(config.demoData ? [DemoModule] : []),
      ],
      controllers: [HealthController],
    };
  }
}
