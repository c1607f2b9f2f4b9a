import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { BatchStatus } from '@mq/messaging-contracts';

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
}
