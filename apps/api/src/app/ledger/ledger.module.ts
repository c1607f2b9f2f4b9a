import { Module } from '@nestjs/common';
import { AccessLedgerService } from './access-ledger.service';
import { LedgerController } from './ledger.controller';

@Module({
  controllers: [LedgerController],
  providers: [AccessLedgerService],
  exports: [AccessLedgerService],
})
export class LedgerModule {}
