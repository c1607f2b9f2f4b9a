import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { BroadcastController } from './broadcast.controller';
import { BroadcastService } from './broadcast.service';
import { DeadLettersController } from './dead-letters.controller';
import { EncryptionController } from './encryption.controller';
import { QueueOperationsController } from './queue-operations.controller';

@Module({
  controllers: [DeadLettersController, QueueOperationsController, BroadcastController, EncryptionController],
  providers: [AuditService, BroadcastService],
  exports: [AuditService],
})
export class OperatorsModule {}
