import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { DeadLettersController } from './dead-letters.controller';

@Module({
  controllers: [DeadLettersController],
  providers: [AuditService],
  exports: [AuditService],
})
export class OperatorsModule {}
