import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { BroadcastController } from './broadcast.controller';
import { BroadcastService } from './broadcast.service';
import { DeadLettersController } from './dead-letters.controller';
import { EncryptionController } from './encryption.controller';
import { FailedDeliveriesController } from './failed-deliveries.controller';
import { QueueBulkService } from './queue-bulk.service';
import { QueueOperationsController } from './queue-operations.controller';

@Module({
  controllers: [
    DeadLettersController,
    QueueOperationsController,
    BroadcastController,
    EncryptionController,
    AuditController,
    FailedDeliveriesController,
  ],
  providers: [AuditService, BroadcastService, QueueBulkService],
  exports: [AuditService],
})
export class OperatorsModule {}
