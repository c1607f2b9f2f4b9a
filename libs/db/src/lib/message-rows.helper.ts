import { DataSource, EntityManager } from 'typeorm';
import { MessageEntity } from './entities/message.entity';
import { preparedQuery } from './prepared-query';

interface MessageRow {
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
  status: MessageEntity['status'];
  send_at: Date | null;
  batch_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

const COLUMNS =
  'id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, status, send_at, batch_id, created_at, edited_at, deleted_at';
const LOAD = { plain: `SELECT ${COLUMNS} FROM messages WHERE id = $1`, forUpdate: `SELECT ${COLUMNS} FROM messages WHERE id = $1 FOR UPDATE` };

/**
 * One message row by id, as an entity, through a prepared statement (the processors' hot
 * path; the ORM's query builder costs more than the query). `forUpdate` locks it for the
 * caller's transaction (pass its manager).
 */
export async function loadMessage(db: DataSource | EntityManager, id: string, options: { forUpdate?: boolean } = {}): Promise<MessageEntity | null> {
  const [row] = await preparedQuery<MessageRow>(db, options.forUpdate ? LOAD.forUpdate : LOAD.plain, [id]);
  if (!row) return null;
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
    status: row.status,
    sendAt: row.send_at,
    batchId: row.batch_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  });
}
