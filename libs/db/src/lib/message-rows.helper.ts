import { DataSource, EntityManager } from 'typeorm';
import { MessageEntity } from './entities/message.entity';
import { preparedQuery } from './prepared-query';

/** A messages row as Postgres returns it (snake case). */
export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: string | null;
  sender_id: string;
  client_message_id: string | null;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  key_version: number;
  priority: MessageEntity['priority'];
  critical: boolean;
  status: MessageEntity['status'];
  send_at: Date | null;
  batch_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

/** Every column of messages, in MessageRow's order. */
export const MESSAGE_COLUMNS =
  'id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, critical, status, send_at, batch_id, created_at, edited_at, deleted_at';
const LOAD_MANY = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ANY($1::uuid[])`;

/**
 * Many message rows by id, as entities, in one prepared statement (the processors' hot path;
 * the ORM's query builder costs more than the query); the ones that exist, keyed by id.
 */
export async function loadMessages(db: DataSource | EntityManager, ids: readonly string[]): Promise<Map<string, MessageEntity>> {
  if (ids.length === 0) return new Map();
  const rows = await preparedQuery<MessageRow>(db, LOAD_MANY, [ids]);
  return new Map(rows.map((row) => [row.id, messageFromRow(row)]));
}

export function messageFromRow(row: MessageRow): MessageEntity {
  return Object.assign(new MessageEntity(), {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq === null ? null : Number(row.seq),
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    ciphertext: row.ciphertext,
    iv: row.iv,
    authTag: row.auth_tag,
    keyVersion: row.key_version,
    priority: row.priority,
    critical: row.critical,
    status: row.status,
    sendAt: row.send_at,
    batchId: row.batch_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  });
}
