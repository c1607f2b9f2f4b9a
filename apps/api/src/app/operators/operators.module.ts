import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { BroadcastController } from './broadcast.controller';
import { BroadcastService } from './broadcast.service';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import { DeadLettersController } from './dead-letters.controller';
import { EncryptionController } from './encryption.controller';
import { FailedDeliveriesController } from './failed-deliveries.controller';
import { JobHistoryController } from './job-history.controller';
import { JobHistoryWriter } from './job-history.writer';
import { QueueBulkService } from './queue-bulk.service';
import { QueueOperationsController } from './queue-operations.controller';
import { SchedulesController } from './schedules.controller';

@Module({
  controllers: [
    DeadLettersController,
    QueueOperationsController,
    BroadcastController,
    EncryptionController,
    AuditController,
    FailedDeliveriesController,
    JobHistoryController,
    SchedulesController,
  ],
  providers: [BroadcastService, QueueBulkService, JobHistoryWriter, DeadLetterReplayService],
  // The demo school starts its broadcast the way an operator does.
  exports: [BroadcastService],
})
export class OperatorsModule {}
