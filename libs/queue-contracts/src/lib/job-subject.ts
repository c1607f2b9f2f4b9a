export interface JobSubject {
  messageId: string | null;
  userId: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const only = (value: unknown): unknown => (Array.isArray(value) && value.length === 1 ? value[0] : undefined);

/**
 * The message and the user a job is about, when it is about exactly one of each: job history
 * rows are keyed by them (a message's timeline, job search by user). A batch of many names no
 * one in particular; its messages reach their history through their delivery rows' job id.
 */
export function jobSubject(data: unknown): JobSubject {
  if (typeof data !== 'object' || data === null) return { messageId: null, userId: null };
  const fields = data as Record<string, unknown>;
  const receipt = only(fields['receipts']);
  const fromReceipt = typeof receipt === 'object' && receipt !== null ? (receipt as Record<string, unknown>) : {};
  return {
    messageId: text(fields['messageId']) ?? text(only(fields['messageIds'])) ?? text(fromReceipt['messageId']),
    userId: text(fields['recipientId']) ?? text(fields['senderId']) ?? text(fromReceipt['recipientId']),
  };
}
