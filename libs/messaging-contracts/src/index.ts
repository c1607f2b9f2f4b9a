export * from './lib/api-error.contract';
export * from './lib/auth.contract';
export * from './lib/conversation.contract';
export * from './lib/limits.constants';
export * from './lib/message.contract';
export * from './lib/operator.contract';
export * from './lib/settings.contract';
export * from './lib/socket-events.contract';
