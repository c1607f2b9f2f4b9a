import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { MembershipService } from './membership.service';

@Module({
  imports: [LedgerModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, MembershipService],
  exports: [MembershipService, ConversationsService],
})
export class ConversationsModule {}
