import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { BatchStatus, DeliveryStatus } from '@mq/messaging-contracts';
import { KeysetPage, KeysetPageQuery, KeysetPosition, idAfter, keysetTime, positionBefore, toKeysetPage } from './keyset-page';

export interface NewBroadcastBatch {
  id: string;
  messageId: string;
  conversationId: string;
  createdBy: string;
  allUsers: boolean;
  /** Null for every active user. */
  recipientIds: readonly string[] | null;
  total: number;
  chunkSize: number;
  chunkDelayMs: number;
}

/** A fan-out's progress and pace. */
export interface BatchState {
  id: string;
  total: number;
  processed: number;
  failed: number;
  status: BatchStatus;
  chunkSize: number;
  chunkDelayMs: number;
}

/** A batch as its fan-out job works through it. */
export interface SendingBatch {
  id: string;
  kind: 'broadcast' | 'group';
  messageId: string;
  conversationId: string;
  createdBy: string;
  /** The recipients named when it was created; null: every active user (broadcast) or participant (group). */
  recipientIds: string[] | null;
  total: number;
  processed: number;
  status: BatchStatus;
  /** How far the fan-out got: an index into recipientIds, or the last recipient id sent to. */
  cursor: string | null;
}

/** A batch in the operators' list: its state, who started it and when. */
export interface BatchListRow extends Omit<BatchState, 'chunkSize' | 'chunkDelayMs'> {
  kind: 'broadcast' | 'group';
  createdBy: string;
  createdByName: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A batch on its own page: its list row, message, pace, and its deliveries by status. */
export interface BatchDetailRow extends BatchListRow {
  messageId: string | null;
  chunkSize: number;
  chunkDelayMs: number;
  deliveries: Record<DeliveryStatus, number>;
}

const NO_DELIVERIES: Readonly<Record<DeliveryStatus, number>> = { queued: 0, sent: 0, delivered: 0, read: 0, failed: 0 };

export interface BatchListQuery extends KeysetPageQuery {
  status?: BatchStatus;
}

const STATE_COLUMNS = `id, total, processed, failed, status, chunk_size AS "chunkSize", chunk_delay_ms AS "chunkDelayMs"`;

/** `batches`: broadcasts fanned out in chunks, with progress, pause, resume and cancel. */
@Injectable()
export class BatchRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inside the transaction that stores the broadcast's message and stages its job. */
  async createBroadcast(manager: EntityManager, batch: NewBroadcastBatch): Promise<void> {
    await manager.query(
      `INSERT INTO batches (id, kind, message_id, conversation_id, created_by, all_users, recipient_ids, total, status, chunk_size, chunk_delay_ms)
       VALUES ($1, 'broadcast', $2, $3, $4, $5, $6, $7, 'queued', $8, $9)`,
      [batch.id, batch.messageId, batch.conversationId, batch.createdBy, batch.allUsers, batch.recipientIds, batch.total, batch.chunkSize, batch.chunkDelayMs],
    );
  }

  /** A large group's fan-out, inside the transaction storing its message and staging its job. */
  async createGroup(
    manager: EntityManager,
    batch: { id: string; messageId: string; conversationId: string; createdBy: string; total: number; chunkSize: number },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO batches (id, kind, message_id, conversation_id, created_by, total, status, chunk_size, chunk_delay_ms)
       VALUES ($1, 'group', $2, $3, $4, $5, 'queued', $6, 0)`,
      [batch.id, batch.messageId, batch.conversationId, batch.createdBy, batch.total, batch.chunkSize],
    );
  }

  /** Broadcasts newest first, optionally of one status. */
  async page(query: BatchListQuery): Promise<KeysetPage<BatchListRow>> {
    const rows: (BatchListRow & { position: KeysetPosition })[] = await this.dataSource.query(
      `SELECT b.id, b.kind, b.total, b.processed, b.failed, b.status, b.created_by AS "createdBy", u.display_name AS "createdByName",
              b.created_at AS "createdAt", b.started_at AS "startedAt", b.finished_at AS "finishedAt",
              json_build_object('at', ${keysetTime('b.created_at')}, 'id', b.id) AS position
       FROM batches b LEFT JOIN users u ON u.id = b.created_by
       WHERE b.kind = 'broadcast' AND ($1::text IS NULL OR b.status = $1)
         AND ${positionBefore('b.created_at', 'b.id', '$2', '$3')}
       ORDER BY b.created_at DESC, b.id DESC LIMIT $4`,
      [query.status ?? null, query.after?.at ?? null, query.after?.id ?? null, query.limit],
    );
    return toKeysetPage(rows, query.limit, ({ position: _, ...row }) => row);
  }

  /** One broadcast for its page: as in the list, with its message, pace, and its deliveries counted by status. */
  async detail(id: string): Promise<BatchDetailRow | undefined> {
    const [row]: BatchDetailRow[] = await this.dataSource.query(
      `SELECT b.id, b.kind, b.total, b.processed, b.failed, b.status, b.created_by AS "createdBy", u.display_name AS "createdByName",
              b.created_at AS "createdAt", b.started_at AS "startedAt", b.finished_at AS "finishedAt", b.message_id AS "messageId",
              b.chunk_size AS "chunkSize", b.chunk_delay_ms AS "chunkDelayMs", COALESCE(c.counts, '{}') AS deliveries
       FROM batches b LEFT JOIN users u ON u.id = b.created_by
       LEFT JOIN LATERAL (
         SELECT json_object_agg(s.status, s.n) AS counts
         FROM (SELECT status, count(*)::int AS n FROM message_deliveries WHERE message_id = b.message_id GROUP BY status) s
       ) c ON true
       WHERE b.id = $1`,
      [id],
    );
    return row && { ...row, deliveries: { ...NO_DELIVERIES, ...row.deliveries } };
  }

  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<BatchState | undefined> {
    const [row]: BatchState[] = await manager.query(`SELECT ${STATE_COLUMNS} FROM batches WHERE id = $1`, [id]);
    return row;
  }

  /** Moves the batch to `to` if it is in one of `from`; returns whether it moved. */
  async transition(id: string, to: BatchStatus, from: readonly BatchStatus[], manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const [, changed]: [unknown, number] = await manager.query(`UPDATE batches SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3)`, [
      id,
      to,
      from,
    ]);
    return changed > 0;
  }

  /** The batch, locked inside the chunk's transaction (pause and cancel wait for the chunk, and the chunk sees them). */
  async lockForSending(manager: EntityManager, id: string): Promise<SendingBatch | undefined> {
    const [row]: SendingBatch[] = await manager.query(
      `SELECT id, kind, message_id AS "messageId", conversation_id AS "conversationId", created_by AS "createdBy",
              recipient_ids AS "recipientIds", total, processed, status, cursor
       FROM batches WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  /** The first chunk's job takes a queued batch. */
  async start(manager: EntityManager, id: string, jobId: string): Promise<void> {
    await manager.query(`UPDATE batches SET status = 'running', started_at = COALESCE(started_at, now()), job_id = $2 WHERE id = $1`, [id, jobId]);
  }

  /** A chunk done: `count` more processed, `failed` more that could not be sent, and the cursor after them. */
  async advance(manager: EntityManager, id: string, count: number, cursor: string, failed = 0): Promise<void> {
    await manager.query(`UPDATE batches SET processed = processed + $2, failed = failed + $4, cursor = $3, updated_at = now() WHERE id = $1`, [
      id,
      count,
      cursor,
      failed,
    ]);
  }

  async complete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE batches SET status = 'completed', finished_at = now(), updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * The next `size` recipients of a batch without named recipients, after `cursor`, in id
   * order: the group's participants, or every active user; never its sender.
   */
  async recipientsAfter(manager: EntityManager, batch: SendingBatch, size: number): Promise<string[]> {
    const rows: { id: string }[] =
      batch.kind === 'group'
        ? await manager.query(
            `SELECT user_id AS id FROM conversation_participants
             WHERE conversation_id = $1 AND left_at IS NULL AND user_id <> $2 AND ${idAfter('user_id', '$3')}
             ORDER BY user_id LIMIT $4`,
            [batch.conversationId, batch.createdBy, batch.cursor, size],
          )
        : await manager.query(`SELECT id FROM users WHERE active AND id <> $1 AND ${idAfter('id', '$2')} ORDER BY id LIMIT $3`, [
            batch.createdBy,
            batch.cursor,
            size,
          ]);
    return rows.map((row) => row.id);
  }
}
