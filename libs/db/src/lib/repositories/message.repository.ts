import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, MoreThan, QueryFailedError } from 'typeorm';
import type { JobName, QueueName } from '@mq/queue-contracts';
import { MessageEntity } from '../entities/message.entity';
import { loadMessages } from '../message-rows.helper';
import { allocateMessageSeq } from '../message-seq.helper';
import { preparedQuery } from '../prepared-query';
import { outboxInsert } from './outbox-insert.sql';

/** A message as stored: content already encrypted. */
export type NewMessage = Pick<
  MessageEntity,
  'id' | 'conversationId' | 'seq' | 'senderId' | 'ciphertext' | 'iv' | 'authTag' | 'keyVersion' | 'priority' | 'status' | 'batchId'
> &
  Partial<Pick<MessageEntity, 'clientMessageId' | 'sendAt' | 'critical'>>;

/** Content encrypted anew (an edit). */
export type EncryptedContent = Pick<MessageEntity, 'ciphertext' | 'iv' | 'authTag' | 'keyVersion'>;

/** A new message for storeBatch, encrypted, with the send job that is to carry it. */
export interface MessageToStore {
  message: Pick<
    MessageEntity,
    'id' | 'conversationId' | 'senderId' | 'clientMessageId' | 'ciphertext' | 'iv' | 'authTag' | 'keyVersion' | 'priority' | 'sendAt'
  > &
    Partial<Pick<MessageEntity, 'critical'>>;
  /** Left unstored (answered `fan-out`) when its conversation has more than `fanOutAbove` recipients. */
  mayFanOut: boolean;
  jobId: string;
  /** With tracing on: the send's trace context, carried in its job's `traceparents`. */
  traceparent?: string;
}

/** A send job for storeBatch: staged only if a message it carries was stored. */
export interface SendJobToStage {
  queue: QueueName;
  jobName: JobName;
  jobId: string;
  priority: number;
  availableAt: Date;
}

/** What storeBatch did with each message (by id), and the jobs it staged. */
export type StoreBatchRow =
  | { kind: 'message'; id: string; seq: number | null; createdAt: Date }
  | { kind: 'fan-out'; id: string; recipients: number }
  | { kind: 'duplicate'; id: string }
  | { kind: 'job'; outboxId: string; jobId: string; payload: { messageIds: string[]; traceparents?: string[] } };

interface StoreBatchResultRow {
  kind: StoreBatchRow['kind'];
  id: string;
  seq: string | null;
  created_at: Date | null;
  job_id: string | null;
  payload: { messageIds: string[]; traceparents?: string[] } | null;
}

/** `messages`: stored encrypted; decrypting is the caller's (MessageCrypto). */
@Injectable()
export class MessageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** In no particular order; ids with no message are left out. */
  async findByIds(ids: readonly string[]): Promise<MessageEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(MessageEntity).findBy({ id: In([...ids]) });
  }

  /**
   * Stores new messages in ONE statement (one transaction, one round trip): takes each
   * conversation's next seqs, inserts the messages, their recipients' delivery rows and the
   * outbox rows of their send jobs, each job listing the messages of it that were stored. A
   * clientMessageId the sender already used is answered `duplicate`, a large group `fan-out`
   * (nothing written), a conversation deleted meanwhile by no row at all. A critical message's
   * `message.critical` audit entry (ids only) is written by the same statement.
   */
  async storeBatch(items: readonly MessageToStore[], jobs: readonly SendJobToStage[], fanOutAbove: number): Promise<StoreBatchRow[]> {
    if (items.length === 0) return [];
    const m = items.map((i) => i.message);
    const rows = await preparedQuery<StoreBatchResultRow>(this.dataSource, STORE_MESSAGES, [
      m.map((x) => x.id),
      m.map((x) => x.conversationId),
      m.map((x) => x.senderId),
      m.map((x) => x.clientMessageId),
      m.map((x) => x.ciphertext),
      m.map((x) => x.iv),
      m.map((x) => x.authTag),
      m.map((x) => x.keyVersion),
      m.map((x) => x.priority),
      m.map((x) => x.sendAt),
      items.map((i) => i.mayFanOut),
      items.map((i) => i.jobId),
      fanOutAbove,
      jobs.map((j) => j.queue),
      jobs.map((j) => j.jobName),
      jobs.map((j) => j.jobId),
      jobs.map((j) => j.priority),
      jobs.map((j) => j.availableAt),
      m.map((x) => x.critical ?? false),
      items.map((i) => i.traceparent ?? null),
    ]);
    return rows.map((row): StoreBatchRow => {
      switch (row.kind) {
        case 'message':
          return { kind: 'message', id: row.id, seq: row.seq === null ? null : Number(row.seq), createdAt: row.created_at ?? new Date() };
        case 'fan-out':
          return { kind: 'fan-out', id: row.id, recipients: Number(row.seq) };
        case 'duplicate':
          return { kind: 'duplicate', id: row.id };
        case 'job':
          return { kind: 'job', outboxId: row.id, jobId: row.job_id ?? '', payload: row.payload ?? { messageIds: [] } };
      }
    });
  }

  /** Many messages by id in one prepared statement (the processors' hot path), keyed by id; ids with no message are left out. */
  loadMany(ids: readonly string[], manager?: EntityManager): Promise<Map<string, MessageEntity>> {
    return loadMessages(manager ?? this.dataSource, ids);
  }

  async findOne(id: string, manager: EntityManager = this.dataSource.manager): Promise<MessageEntity | null> {
    return manager.findOne(MessageEntity, { where: { id } });
  }

  /** The conversation's next seq, inside the transaction storing the message (a rollback gives it back); throws if the conversation is gone. */
  nextSeq(manager: EntityManager, conversationId: string): Promise<number> {
    return allocateMessageSeq(manager, conversationId);
  }

  /** A scheduled message takes its place in the conversation as it goes out. */
  async placeScheduled(manager: EntityManager, id: string, seq: number): Promise<void> {
    await manager.update(MessageEntity, { id }, { seq, status: 'queued' });
  }

  async setStatus(manager: EntityManager, id: string, status: MessageEntity['status']): Promise<void> {
    await manager.update(MessageEntity, { id }, { status });
  }

  /** One message, inside the caller's transaction (a broadcast's, with its batch and job); returns when it was stored. */
  async insert(manager: EntityManager, message: NewMessage): Promise<Date> {
    const result = await manager.insert(MessageEntity, message);
    return (result.generatedMaps[0]?.['createdAt'] as Date | undefined) ?? new Date();
  }

  async findByClientId(senderId: string, clientMessageId: string): Promise<MessageEntity | null> {
    return this.dataSource.manager.findOne(MessageEntity, { where: { senderId, clientMessageId } });
  }

  /** Catch-up: up to `limit` messages after `afterSeq`, ascending (deleted ones too: tombstones). */
  async pageAfter(conversationId: string, afterSeq: number, limit: number): Promise<MessageEntity[]> {
    return this.dataSource.manager.find(MessageEntity, { where: { conversationId, seq: MoreThan(afterSeq) }, order: { seq: 'ASC' }, take: limit });
  }

  /** An edit, inside the caller's transaction; returns the message as it now is. */
  async replaceContent(manager: EntityManager, id: string, encrypted: EncryptedContent, editedAt: Date): Promise<MessageEntity> {
    await manager.update(MessageEntity, { id }, { ...encrypted, editedAt });
    return manager.findOneOrFail(MessageEntity, { where: { id } });
  }

  async markDeleted(manager: EntityManager, id: string): Promise<void> {
    await manager.update(MessageEntity, { id }, { deletedAt: new Date(), status: 'deleted' });
  }

  /** A large group's message belongs to the batch that fans it out. */
  async setBatch(manager: EntityManager, id: string, batchId: string): Promise<void> {
    await manager.update(MessageEntity, { id }, { batchId });
  }

  /**
   * Inside the caller's transaction, locked for update: up to `limit` of the conversation's
   * messages under a key version older than `version`, in id order.
   */
  async lockUnderOlderKey(manager: EntityManager, conversationId: string, version: number, limit: number): Promise<MessageEntity[]> {
    return manager
      .createQueryBuilder(MessageEntity, 'm')
      .where('m.conversation_id = :conversationId AND m.key_version < :version', { conversationId, version })
      .orderBy('m.id')
      .limit(limit)
      .setLock('pessimistic_write')
      .getMany();
  }

  /** The message's content encrypted anew, if it is still under the key version it was read with. */
  async replaceEncryption(manager: EntityManager, id: string, fromKeyVersion: number, encrypted: EncryptedContent): Promise<void> {
    await manager.update(MessageEntity, { id, keyVersion: fromKeyVersion }, encrypted);
  }

  /** Conversations with a message under a key older than their active one. */
  async conversationsBehindActiveKey(): Promise<string[]> {
    const rows: { conversation_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.conversation_id FROM messages m
       JOIN encryption_keys k ON k.conversation_id = m.conversation_id AND k.status = 'active'
       WHERE m.key_version < k.version`,
    );
    return rows.map((row) => row.conversation_id);
  }
}

/**
 * A storeBatch that lost a race and may simply run again: a concurrent duplicate of a
 * clientMessageId (the statement fails as a whole; the next run sees the other's commit) or a deadlock.
 */
export function isRetryableStoreConflict(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return (code === '23505' && constraint === 'uq_messages_sender_id_client_message_id') || code === '40P01';
}

const STORE_MESSAGES = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::int[], $9::text[],
                       $10::timestamptz[], $11::boolean[], $12::text[], $19::boolean[], $20::text[])
    WITH ORDINALITY AS i(id, conversation_id, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, send_at, may_fan_out, job_id,
                         critical, traceparent, ord)
), duplicate AS (
  SELECT i.ord FROM input i JOIN messages m ON m.sender_id = i.sender_id AND m.client_message_id = i.client_message_id
), sized AS (
  SELECT i.ord, (SELECT count(*) FROM conversation_participants p
                 WHERE p.conversation_id = i.conversation_id AND p.left_at IS NULL AND p.user_id <> i.sender_id) AS recipients
  FROM input i
  WHERE i.may_fan_out AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = i.conversation_id AND c.deleted_at IS NULL)
), fresh AS (
  SELECT i.* FROM input i
  WHERE i.ord NOT IN (SELECT ord FROM duplicate) AND i.ord NOT IN (SELECT ord FROM sized WHERE recipients > $13)
), locked AS (
  -- In id order: concurrent commits into the same conversations wait in line instead of deadlocking.
  SELECT c.id FROM conversations c
  WHERE c.id IN (SELECT conversation_id FROM fresh) AND c.deleted_at IS NULL ORDER BY c.id FOR UPDATE
), seqs AS (
  UPDATE conversations c SET last_seq = c.last_seq + f.n
  FROM (SELECT conversation_id, count(*) AS n FROM fresh WHERE send_at IS NULL GROUP BY conversation_id) f
  WHERE c.id = f.conversation_id AND c.id IN (SELECT id FROM locked)
  RETURNING c.id, c.last_seq - f.n AS base
), numbered AS (
  SELECT f.*, CASE WHEN f.send_at IS NULL THEN s.base + row_number() OVER (PARTITION BY f.conversation_id, f.send_at IS NULL ORDER BY f.ord) END AS seq
  FROM fresh f LEFT JOIN seqs s ON s.id = f.conversation_id
  WHERE f.conversation_id IN (SELECT id FROM locked) AND (f.send_at IS NOT NULL OR s.id IS NOT NULL)
), stored AS (
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, critical, status, send_at)
  SELECT id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, critical,
         CASE WHEN send_at IS NULL THEN 'queued' ELSE 'scheduled' END, send_at
  FROM numbered
  RETURNING id, seq, created_at
), audited AS (
  INSERT INTO audit_log (actor_id, action, target, detail)
  SELECT sender_id, 'message.critical', id::text, jsonb_build_object('conversationId', conversation_id) FROM numbered WHERE critical
), deliveries AS (
  INSERT INTO message_deliveries (message_id, recipient_id, job_id)
  SELECT n.id, p.user_id, n.job_id FROM numbered n
  JOIN conversation_participants p ON p.conversation_id = n.conversation_id AND p.left_at IS NULL AND p.user_id <> n.sender_id
), staged AS (
  ${outboxInsert(`SELECT j.queue, j.job_name, j.job_id,
         jsonb_build_object('messageIds', (SELECT jsonb_agg(n.id ORDER BY n.ord) FROM numbered n WHERE n.job_id = j.job_id))
           -- Tracing on: each message's trace context, in the same order ('' for none); off: the key is left out.
           || COALESCE((SELECT jsonb_build_object('traceparents', jsonb_agg(COALESCE(n.traceparent, '') ORDER BY n.ord)) FROM numbered n
                        WHERE n.job_id = j.job_id HAVING bool_or(n.traceparent IS NOT NULL)), '{}'::jsonb) AS payload,
         j.priority, j.available_at
  FROM unnest($14::text[], $15::text[], $16::text[], $17::int[], $18::timestamptz[]) AS j(queue, job_name, job_id, priority, available_at)
  WHERE EXISTS (SELECT 1 FROM numbered n WHERE n.job_id = j.job_id)`)}
)
SELECT 'message' AS kind, s.id::text AS id, s.seq, s.created_at, NULL::text AS job_id, NULL::jsonb AS payload FROM stored s
UNION ALL
SELECT 'fan-out', i.id::text, z.recipients, NULL, NULL, NULL FROM sized z JOIN input i ON i.ord = z.ord
WHERE z.recipients > $13 AND z.ord NOT IN (SELECT ord FROM duplicate)
UNION ALL
SELECT 'duplicate', i.id::text, NULL, NULL, NULL, NULL FROM duplicate d JOIN input i ON i.ord = d.ord
UNION ALL
SELECT 'job', st.id::text, NULL, NULL, st.job_id, st.payload FROM staged st`;
