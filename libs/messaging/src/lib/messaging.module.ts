import { DynamicModule, Module } from '@nestjs/common';
import { LOST_JOB_SOURCE } from '@mq/queue';
import { ConversationKeyService } from './crypto/conversation-keys.service';
import { MasterKeyring } from './crypto/master-keyring';
import { MessageCrypto } from './crypto/message-crypto.service';
import { OutboxPublisher } from './outbox/outbox.publisher';
import { REALTIME_OPTIONS, RealtimeEmitter, RealtimeOptions } from './realtime/realtime.emitter';
import { PresenceService } from './realtime/presence.service';
import { NotificationFallback } from './notifications/notification-fallback.service';
import { MessageSearchService } from './search/message-search.service';

export interface MessagingModuleOptions {
  keyring: MasterKeyring;
  realtime: RealtimeOptions;
}

/**
 * What both apps need to handle messages: envelope encryption, the outbox, and emitting to
 * users' sockets. Needs DbModule and QueueModule (both global) in the importing app.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MasterKeyring, useValue: options.keyring },
        { provide: REALTIME_OPTIONS, useValue: options.realtime },
        ConversationKeyService,
        MessageCrypto,
        OutboxPublisher,
        // The worker restores a job Redis lost from the outbox row it was staged as.
        { provide: LOST_JOB_SOURCE, useExisting: OutboxPublisher },
        RealtimeEmitter,
        MessageSearchService,
        PresenceService,
        NotificationFallback,
      ],
      exports: [
        MasterKeyring,
        ConversationKeyService,
        MessageCrypto,
        OutboxPublisher,
        LOST_JOB_SOURCE,
        RealtimeEmitter,
        MessageSearchService,
        PresenceService,
        NotificationFallback,
      ],
    };
  }
}

/** The socket.io channel prefix for a queue prefix: tests with their own prefix never hear each other. */
export function realtimeChannelPrefix(queuePrefix: string): string {
  return `${queuePrefix}:io`;
}
