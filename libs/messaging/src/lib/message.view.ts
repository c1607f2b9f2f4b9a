import type { Message } from '@mq/messaging-contracts';
import type { MessageEntity } from '@mq/db';

/** A message as members see it: the wire shape, with content decrypted by the caller. */
export function toMessageView(message: MessageEntity, content: string): Message {
  const deleted = message.deletedAt !== null;
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    // A deleted message keeps its place in the sequence (no gap) but loses its content.
    content: deleted ? '' : content,
    clientMessageId: message.clientMessageId,
    priority: message.priority,
    status: deleted ? 'deleted' : message.status,
    sendAt: message.sendAt?.toISOString() ?? null,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
  };
}
