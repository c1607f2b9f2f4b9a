import { EntityManager } from 'typeorm';

/**
 * Allocates the next message seq of a conversation: one row-locking UPDATE, so concurrent
 * senders get distinct, gap-free-per-commit numbers. Call it inside the transaction that
 * inserts the message, so a rollback gives the number back. Throws if the conversation
 * does not exist or is deleted.
 *
 * Note for raw SQL elsewhere: TypeORM's postgres `query()` returns `[rows, rowCount]` for
 * UPDATE/DELETE ... RETURNING, not the rows.
 */
export async function allocateMessageSeq(manager: EntityManager, conversationId: string): Promise<number> {
  const [rows] = (await manager.query('UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 AND deleted_at IS NULL RETURNING last_seq', [
    conversationId,
  ])) as [{ last_seq: string }[], number];
  const seq = rows[0]?.last_seq;
  if (seq === undefined) throw new Error(`Conversation ${conversationId} does not exist or is deleted`);
  return Number(seq);
}
