import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { NotificationTransports } from './notification.transports';
import type { NotificationTransportsOptions } from './notification.transports';
import type { NotificationsConfig } from './notifications.config';

/**
 * Provides NotificationTransports to the whole app. The SMTP pool is closed when the app
 * shuts down (NotificationTransports.onApplicationShutdown), after the queue consumers stop.
 */
@Module({})
export class NotificationsModule {
  static forRoot(config: NotificationsConfig, options: NotificationTransportsOptions = {}): DynamicModule {
    return {
      module: NotificationsModule,
      global: true,
      // A factory, because the constructor takes plain values rather than injected providers.
      providers: [{ provide: NotificationTransports, useFactory: () => new NotificationTransports(config, options) }],
      exports: [NotificationTransports],
    };
  }
}
