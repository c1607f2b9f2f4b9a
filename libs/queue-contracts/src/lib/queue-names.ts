/** The six Bull queues. Frozen string constants: renaming a class never renames a queue. */
export const QUEUE = Object.freeze({
  DELIVERY: 'message-delivery',
  NOTIFICATION: 'message-notification',
  INDEXING: 'message-indexing',
  ENCRYPTION: 'message-encryption',
  BATCH: 'batch-message-sending',
  CLEANUP: 'message-cleanup',
} as const);

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export const QUEUE_NAMES: readonly QueueName[] = Object.freeze(Object.values(QUEUE));

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}
