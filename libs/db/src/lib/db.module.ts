import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DataSourceConfig, createDataSourceOptions, withPoolerHint } from './data-source';
import { DatabaseProbe } from './database.probe';
import { DB_ENTITIES } from './db-entities';
import { AccessLedgerRepository } from './repositories/access-ledger.repository';
import { AlertRepository } from './repositories/alert.repository';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { BatchRepository } from './repositories/batch.repository';
import { ConversationRepository } from './repositories/conversation.repository';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { DeliveryRepository } from './repositories/delivery.repository';
import { JobEventRepository } from './repositories/job-event.repository';
import { MessageRepository } from './repositories/message.repository';
import { MessageTimelineRepository } from './repositories/message-timeline.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { HeldNotificationRepository } from './repositories/held-notification.repository';
import { NotificationSettingsRepository } from './repositories/notification-settings.repository';
import { NotificationRepository } from './repositories/notification.repository';
import { QueueMetricRepository } from './repositories/queue-metric.repository';
import { ReceiptRepository } from './repositories/receipt.repository';
import { SearchTermRepository } from './repositories/search-term.repository';
import { DeliverySendRepository } from './repositories/delivery-send.repository';
import { EncryptionKeyRepository } from './repositories/encryption-key.repository';
import { RetentionRepository } from './repositories/retention.repository';
import { UserRepository } from './repositories/user.repository';

/** Every repository, and the probe: the only places SQL is written. */
const REPOSITORIES = [
  DatabaseProbe,
  AccessLedgerRepository,
  AlertRepository,
  AuditLogRepository,
  BatchRepository,
  ConversationRepository,
  DeadLetterRepository,
  DeliveryRepository,
  JobEventRepository,
  MessageRepository,
  MessageTimelineRepository,
  HeldNotificationRepository,
  NotificationRepository,
  NotificationSettingsRepository,
  OutboxRepository,
  QueueMetricRepository,
  ReceiptRepository,
  RetentionRepository,
  SearchTermRepository,
  DeliverySendRepository,
  EncryptionKeyRepository,
  UserRepository,
];

export type DbModuleOptions = Pick<DataSourceConfig, 'url' | 'poolSize' | 'poolMode' | 'applicationName' | 'logging'>;

/**
 * The app's one DataSource, global: any provider can inject `DataSource` or
 * `@InjectRepository(XEntity)` for every entity without importing anything else.
 */
@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          // A few quick retries ride out a Postgres restart at boot; after that, fail loudly
          // rather than sit silent for half a minute.
          useFactory: () => ({ ...createDataSourceOptions(options), retryAttempts: 3, retryDelay: 1_000 }),
          dataSourceFactory: async (dataSourceOptions) => {
            try {
              return await new DataSource(dataSourceOptions as DataSourceOptions).initialize();
            } catch (error) {
              throw withPoolerHint(error);
            }
          },
        }),
        TypeOrmModule.forFeature([...DB_ENTITIES]),
      ],
      providers: REPOSITORIES,
      exports: [TypeOrmModule, ...REPOSITORIES],
    };
  }
}
