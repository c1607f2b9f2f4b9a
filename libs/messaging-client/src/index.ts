export * from './lib/api-error';
export * from './lib/conversation-inbox';
export type { ApiResponse, FetchFunction } from './lib/http.transport';
export * from './lib/messaging.client';
export * from './lib/operator.client';
export * from './lib/realtime.connection';
export * from './lib/realtime.errors';
export * from './lib/socket.connection';
