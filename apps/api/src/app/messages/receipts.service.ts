import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { MicroBatcher, OutboxPublisher, StagedJob } from '@mq/messaging';
import { ConfirmationStatus, JOB, QUEUE_POLICY, RECEIPT_BATCH_MAX, jobIdFor, queueOfJob } from '@mq/queue-contracts';
import { API_CONFIG, ApiConfig } from '../api.config';

interface PendingReceipt {
  messageId: string;
  recipientId: string;
  status: ConfirmationStatus;
  at: string;
}

const QUEUE = queueOfJob(JOB.DELIVERY_CONFIRMATION);

/**
 * Delivery and read receipts from recipients (socket acks, REST, or a catch-up fetch). The
 * receipts of the moment, from every socket of this instance, are checked and staged together:
 * one statement finds which name a delivery of the caller (404 for the others) and writes one
 * `delivery-confirmation` outbox row with those that move it forward, so a receipt accepted here
 * is recorded even if Redis is away for a while.
 */
@Injectable()
export class ReceiptsService {
  private readonly batcher: MicroBatcher<PendingReceipt, void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxPublisher,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.batcher = new MicroBatcher({ run: (receipts) => this.stage(receipts), maxBatch: RECEIPT_BATCH_MAX, maxConcurrent: 1, lingerMs: config.batchLingerMs });
  }

  /** One receipt from the recipient; 404 unless the caller is a recipient of the message. */
  record(recipientId: string, messageId: string, status: ConfirmationStatus): Promise<void> {
    return this.batcher.submit({ messageId, recipientId, status, at: new Date().toISOString() });
  }

  /** Receipts for messages already known to be the recipient's (e.g. just fetched by them). */
  async recordMany(recipientId: string, messageIds: readonly string[], status: ConfirmationStatus): Promise<void> {
    await Promise.all(messageIds.map((messageId) => this.record(recipientId, messageId, status)));
  }

  private async stage(receipts: readonly PendingReceipt[]): Promise<(void | Error)[]> {
    const jobId = jobIdFor(JOB.DELIVERY_CONFIRMATION, { receipts: [...receipts] });
    const priority = QUEUE_POLICY[QUEUE].defaultPriority;
    const rows = await preparedQuery<{ ord: string | null; outbox_id: string | null; payload: Record<string, unknown> | null; available_at: Date | null }>(
      this.dataSource,
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS r(message_id, recipient_id, status, at, ord)
       ), known AS (
         SELECT r.*, (CASE d.status WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END)
                     < (CASE r.status WHEN 'read' THEN 3 ELSE 2 END) AS moves
         FROM input r JOIN message_deliveries d ON d.message_id = r.message_id AND d.recipient_id = r.recipient_id
       ), staged AS (
         INSERT INTO outbox (queue, job_name, job_id, payload, priority, available_at)
         SELECT $5, $6, $7,
                jsonb_build_object('receipts', jsonb_agg(jsonb_build_object('messageId', message_id, 'recipientId', recipient_id, 'status', status, 'at', at) ORDER BY ord)),
                $8, now()
         FROM known WHERE moves HAVING count(*) > 0
         ON CONFLICT (job_id) DO NOTHING
         RETURNING id, payload, available_at
       )
       SELECT ord, NULL::bigint AS outbox_id, NULL::jsonb AS payload, NULL::timestamptz AS available_at FROM known
       UNION ALL SELECT NULL, id, payload, available_at FROM staged`,
      [
        receipts.map((r) => r.messageId),
        receipts.map((r) => r.recipientId),
        receipts.map((r) => r.status),
        receipts.map((r) => r.at),
        QUEUE,
        JOB.DELIVERY_CONFIRMATION,
        jobId,
        priority,
      ],
    );
    const staged: StagedJob[] = rows
      .filter((row) => row.outbox_id !== null)
      .map((row) => ({
        id: String(row.outbox_id),
        jobId,
        jobName: JOB.DELIVERY_CONFIRMATION,
        payload: row.payload ?? {},
        priority,
        availableAt: row.available_at ?? new Date(),
      }));
    await this.outbox.publish(staged);
    const known = new Set(rows.filter((row) => row.ord !== null).map((row) => Number(row.ord)));
    return receipts.map((receipt, i) => (known.has(i + 1) ? undefined : new NotFoundException(`Message ${receipt.messageId} not found`)));
  }
}
