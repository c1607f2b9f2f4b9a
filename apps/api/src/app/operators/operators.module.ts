import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { DeadLettersController } from './dead-letters.controller';
import { QueueOperationsController } from './queue-operations.controller';

@Module({
  controllers: [DeadLettersController, QueueOperationsController],
  providers: [AuditService],
  exports: [AuditService],
})
export class OperatorsModule {}
