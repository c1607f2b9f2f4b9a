import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { MessageEntity } from '@mq/db';
import type { BatchStatus } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, RealtimeEmitter, toMessageView } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

export interface BatchResult {
  outcome: BatchStatus | 'continued' | 'skipped';
  processed: number;
}

interface BatchRow {
  id: string;
  kind: 'broadcast' | 'group';
  message_id: string;
  conversation_id: string;
  created_by: string;
  all_users: boolean;
  recipient_ids: string[] | null;
  total: number;
  processed: number;
  status: BatchStatus;
  cursor: string | null;
}

/** A job hands over to a continuation before Bull's 5-minute timeout could cut it mid-chunk. */
const JOB_TIME_BUDGET_MS = 60_000;

/**
 * `batch-send`: fans one stored message out to many recipients, chunk by chunk. Each chunk
 * is one transaction (participants and delivery rows as multi-row inserts, the cursor moved)
 * and one emit to all its recipients' rooms. Pause and cancel are read before every chunk;
 * a crash resumes at the committed cursor, and rows that already exist are not re-sent.
 */
@Injectable()
export class BatchProcessor {
  private readonly logger = new Logger(BatchProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: MessageCrypto,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
  ) {}

  @JobHandler(JOB.BATCH_SEND)
  async batchSend(job: HandledJob<'batch-send'>): Promise<BatchResult> {
    const { batchId, chunkSize, chunkDelayMs } = job.data;
    const started = Date.now();
    let sentNow = 0;
    let payload: ReturnType<typeof toMessageView> | undefined;
    for (;;) {
      type ChunkOutcome = { done: BatchResult['outcome'] } | { sent: number; batch: BatchRow };
      const outcome = await this.dataSource.transaction(async (manager): Promise<ChunkOutcome> => {
        const batch = await this.lockBatch(manager, batchId);
        if (!batch) return { done: 'skipped' };
        if (batch.status === 'queued') {
          await manager.query(`UPDATE batches SET status = 'running', started_at = COALESCE(started_at, now()), job_id = $2 WHERE id = $1`, [
            batchId,
            String(job.id),
          ]);
        } else if (batch.status !== 'running') {
          return { done: batch.status };
        }
        payload ??= await this.messagePayload(manager, batch.message_id);
        const { recipients, cursor } = await this.nextChunk(manager, batch, chunkSize);
        if (recipients.length === 0) {
          await manager.query(`UPDATE batches SET status = 'completed', finished_at = now(), updated_at = now() WHERE id = $1`, [batchId]);
          await manager.query(`UPDATE messages SET status = 'sent' WHERE id = $1`, [batch.message_id]);
          return { done: 'completed' };
        }
        const fresh = await this.writeChunk(manager, batch, recipients, String(job.id));
        // Emitted before commit: a crash re-emits this chunk (clients dedupe by id) rather than lose it.
        this.realtime.toUsers(fresh, 'message:new', payload);
        await manager.query(`UPDATE batches SET processed = processed + $2, cursor = $3, updated_at = now() WHERE id = $1`, [
          batchId,
          recipients.length,
          cursor,
        ]);
        return { sent: recipients.length, batch: { ...batch, processed: batch.processed + recipients.length } };
      });
      if ('done' in outcome) {
        await job.progress(outcome.done === 'completed' ? 100 : Number(job.progress()) || 0);
        return { outcome: outcome.done, processed: sentNow };
      }
      sentNow += outcome.sent;
      const { processed, total } = outcome.batch;
      await job.progress(total === 0 ? 100 : Math.min(100, Math.floor((processed / total) * 100)));
      if (Date.now() - started > JOB_TIME_BUDGET_MS) return this.continueLater(job, sentNow);
      if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
  }

  private async lockBatch(manager: EntityManager, batchId: string): Promise<BatchRow | undefined> {
    const [row] = (await manager.query(`SELECT * FROM batches WHERE id = $1 FOR UPDATE`, [batchId])) as BatchRow[];
    return row;
  }

  private async messagePayload(manager: EntityManager, messageId: string) {
    const message = await manager.findOneOrFail(MessageEntity, { where: { id: messageId } });
    return toMessageView({ ...message, status: 'sent' }, await this.crypto.decrypt(message, manager));
  }

  /** The next recipients after the cursor, in a stable order, and the cursor after them. */
  private async nextChunk(manager: EntityManager, batch: BatchRow, size: number): Promise<{ recipients: string[]; cursor: string }> {
    if (batch.recipient_ids) {
      const offset = Number(batch.cursor ?? 0);
      const recipients = batch.recipient_ids.slice(offset, offset + size);
      return { recipients, cursor: String(offset + recipients.length) };
    }
    const rows: { id: string }[] =
      batch.kind === 'group'
        ? await manager.query(
            `SELECT user_id AS id FROM conversation_participants
             WHERE conversation_id = $1 AND left_at IS NULL AND user_id <> $2 AND ($3::uuid IS NULL OR user_id > $3::uuid)
             ORDER BY user_id LIMIT $4`,
            [batch.conversation_id, batch.created_by, batch.cursor, size],
          )
        : await manager.query(`SELECT id FROM users WHERE active AND id <> $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`, [
            batch.created_by,
            batch.cursor,
            size,
          ]);
    const recipients = rows.map((r) => r.id);
    return { recipients, cursor: recipients[recipients.length - 1] ?? batch.cursor ?? '' };
  }

  /** Participants and delivery rows for a chunk, each one multi-row insert; returns who is new (not yet sent to). */
  private async writeChunk(manager: EntityManager, batch: BatchRow, recipients: string[], jobId: string): Promise<string[]> {
    if (batch.kind === 'broadcast') {
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
        batch.conversation_id,
        recipients,
      ]);
    }
    const rows: { recipient_id: string }[] = await manager.query(
      `INSERT INTO message_deliveries (message_id, recipient_id, status, sent_at, attempts, job_id)
       SELECT $1, unnest($2::uuid[]), 'sent', now(), 1, $3
       ON CONFLICT (message_id, recipient_id) DO NOTHING RETURNING recipient_id`,
      [batch.message_id, recipients, jobId],
    );
    return rows.map((r) => r.recipient_id);
  }

  private async continueLater(job: HandledJob<'batch-send'>, sentNow: number): Promise<BatchResult> {
    const next = await this.dataSource.transaction((manager) =>
      this.outbox.stage(manager, JOB.BATCH_SEND, job.data, { jobId: `batch:${job.data.batchId}:part-${Date.now()}` }),
    );
    await this.outbox.publish([next]);
    this.logger.log({ batchId: job.data.batchId, next: next.jobId }, 'batch continues in a new job');
    return { outcome: 'continued', processed: sentNow };
  }
}
