export * from './lib/crypto/aes-gcm';
export * from './lib/crypto/conversation-keys.service';
export * from './lib/crypto/master-keyring';
export * from './lib/crypto/message-crypto.service';
export * from './lib/messaging.module';
export * from './lib/outbox/outbox.publisher';
export * from './lib/realtime/realtime.emitter';
export * from './lib/message.view';
