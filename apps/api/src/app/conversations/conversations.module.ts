import { Module } from '@nestjs/common';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { MembershipService } from './membership.service';

@Module({
  controllers: [ConversationsController],
  providers: [ConversationsService, MembershipService],
  exports: [MembershipService, ConversationsService],
})
export class ConversationsModule {}
