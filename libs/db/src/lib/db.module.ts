import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSourceConfig, createDataSourceOptions } from './data-source';
import { DB_ENTITIES } from './db-entities';
import { AuditLogRepository } from './repositories/audit-log.repository';

export type DbModuleOptions = Pick<DataSourceConfig, 'url' | 'poolSize' | 'applicationName' | 'logging'>;

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
        }),
        TypeOrmModule.forFeature([...DB_ENTITIES]),
      ],
      providers: [AuditLogRepository],
      exports: [TypeOrmModule, AuditLogRepository],
    };
  }
}
