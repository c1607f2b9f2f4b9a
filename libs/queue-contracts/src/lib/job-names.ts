/** The seven job names. Frozen string constants, stored in Redis: never derive them from class names. */
export const JOB = Object.freeze({
  SEND_MESSAGE: 'send-message',
  DELIVERY_CONFIRMATION: 'delivery-confirmation',
  SEND_NOTIFICATION: 'send-notification',
  INDEX_MESSAGE: 'index-message',
  ENCRYPT_DECRYPT: 'encrypt-decrypt',
  BATCH_SEND: 'batch-send',
  CLEANUP_MESSAGES: 'cleanup-messages',
} as const);

export type JobName = (typeof JOB)[keyof typeof JOB];

export const JOB_NAMES: readonly JobName[] = Object.freeze(Object.values(JOB));

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}
