import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { MessagingGateway } from './messaging.gateway';

@Module({
  imports: [MessagesModule],
  providers: [MessagingGateway],
})
export class RealtimeModule {}
