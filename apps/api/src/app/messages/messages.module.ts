import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { LedgerModule } from '../ledger/ledger.module';
import { MessageSendService } from './message-send.service';
import { MessageStoreWriter } from './message-store.writer';
import { ConversationMessagesController, MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { ReceiptsService } from './receipts.service';
import { SendRateLimiter } from './send-rate.limiter';

@Module({
  imports: [ConversationsModule, LedgerModule],
  controllers: [MessagesController, ConversationMessagesController],
  providers: [MessageSendService, MessageStoreWriter, MessagesService, ReceiptsService, SendRateLimiter],
  exports: [MessageSendService, MessagesService, ReceiptsService],
})
export class MessagesModule {}
