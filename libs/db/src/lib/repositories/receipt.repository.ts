import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConfirmationStatus, JobName, QueueName, Receipt } from '@mq/queue-contracts';
import { preparedQuery } from '../prepared-query';
import { outboxInsert } from './outbox-insert.sql';

/** The `delivery-confirmation` job that is to carry the receipts that move a delivery forward. */
export interface ReceiptJobToStage {
  queue: QueueName;
  jobName: JobName;
  jobId: string;
  priority: number;
}

export interface StagedReceipts {
  /** Per receipt, in input order: whether it names a delivery of its recipient. */
  known: boolean[];
  /** The staged job, when a receipt moves a delivery forward and the job id is new. */
  job?: { outboxId: string; payload: { receipts: Receipt[] }; availableAt: Date };
}

/** One delivery's receipts merged: the furthest status, and when each was reached. */
export interface MergedReceipt {
  messageId: string;
  recipientId: string;
  status: ConfirmationStatus;
  deliveredAt: string | null;
  readAt: string | null;
}

/** A delivery a receipt moved forward, with the sender to tell. */
export interface RecordedReceipt {
  messageId: string;
  recipientId: string;
  senderId: string;
  /** When the recipient's device had it (this receipt's time if it was the first to say so). */
  deliveredAt: Date;
  /** When the message was due to go out: accepted, or its scheduled time if later. */
  dueAt: Date;
}

const RANK: Readonly<Record<ConfirmationStatus, number>> = { delivered: 2, read: 3 };

const STAGE = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $9::text[]) WITH ORDINALITY AS r(message_id, recipient_id, status, at, traceparent, ord)
), known AS (
  SELECT r.*, (CASE d.status WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END)
              < (CASE r.status WHEN 'read' THEN 3 ELSE 2 END) AS moves
  FROM input r JOIN message_deliveries d ON d.message_id = r.message_id AND d.recipient_id = r.recipient_id
), staged AS (
  ${outboxInsert(`SELECT $5::text AS queue, $6::text AS job_name, $7::text AS job_id,
         jsonb_build_object('receipts', jsonb_agg(jsonb_build_object('messageId', message_id, 'recipientId', recipient_id, 'status', status, 'at', at)
           || CASE WHEN traceparent IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('traceparent', traceparent) END ORDER BY ord)) AS payload,
         $8::int AS priority, now() AS available_at
  FROM known WHERE moves HAVING count(*) > 0`)}
)
SELECT ord, NULL::bigint AS outbox_id, NULL::jsonb AS payload, NULL::timestamptz AS available_at FROM known
UNION ALL SELECT NULL, id, payload, available_at FROM staged`;

const RECORD = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::timestamptz[])
    AS r(message_id, recipient_id, rank, delivered_at, read_at)
), updated AS (
  UPDATE message_deliveries d SET status = CASE WHEN r.rank = 3 THEN 'read' ELSE 'delivered' END, updated_at = now(),
    sent_at = COALESCE(d.sent_at, r.delivered_at, r.read_at),
    delivered_at = COALESCE(d.delivered_at, r.delivered_at, r.read_at),
    read_at = COALESCE(d.read_at, r.read_at),
    failure_reason = NULL, failed_at = NULL
  FROM input r, messages m
  WHERE d.message_id = r.message_id AND d.recipient_id = r.recipient_id AND m.id = d.message_id
    AND (CASE d.status WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END) < r.rank
  RETURNING d.message_id, d.recipient_id, d.status, m.sender_id, m.conversation_id, m.seq, d.delivered_at, GREATEST(m.created_at, m.send_at) AS due_at
), read_position AS (
  UPDATE conversation_participants p SET last_read_seq = GREATEST(p.last_read_seq, u.seq)
  FROM (SELECT conversation_id, recipient_id, max(seq) AS seq FROM updated WHERE status = 'read' AND seq IS NOT NULL GROUP BY 1, 2) u
  WHERE p.conversation_id = u.conversation_id AND p.user_id = u.recipient_id
)
SELECT message_id AS "messageId", recipient_id AS "recipientId", sender_id AS "senderId", delivered_at AS "deliveredAt", due_at AS "dueAt" FROM updated`;

/** Recipients' delivery and read receipts: accepted into the outbox by the api, recorded by the worker. */
@Injectable()
export class ReceiptRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * In one statement: which receipts name a delivery of their recipient, and one outbox row for
   * `job` with those that move their delivery forward (none: no row).
   */
  async stage(receipts: readonly Receipt[], job: ReceiptJobToStage): Promise<StagedReceipts> {
    const rows = await preparedQuery<{ ord: string | null; outbox_id: string | null; payload: { receipts: Receipt[] } | null; available_at: Date | null }>(
      this.dataSource,
      STAGE,
      [
        receipts.map((r) => r.messageId),
        receipts.map((r) => r.recipientId),
        receipts.map((r) => r.status),
        receipts.map((r) => r.at),
        job.queue,
        job.jobName,
        job.jobId,
        job.priority,
        receipts.map((r) => r.traceparent ?? null),
      ],
    );
    const known = new Set(rows.filter((row) => row.ord !== null).map((row) => Number(row.ord)));
    const staged = rows.find((row) => row.outbox_id !== null);
    return {
      known: receipts.map((_, i) => known.has(i + 1)),
      job: staged && { outboxId: String(staged.outbox_id), payload: staged.payload ?? { receipts: [] }, availableAt: staged.available_at ?? new Date() },
    };
  }

  /**
   * Moves each delivery forward to its merged status (never back: running it twice changes
   * nothing) and the readers' read positions, in one statement. Returns the deliveries moved.
   */
  async record(merged: readonly MergedReceipt[]): Promise<RecordedReceipt[]> {
    if (merged.length === 0) return [];
    // In key order: two batches holding receipts of the same deliveries lock them in one order.
    const ordered = [...merged].sort(compareKeys);
    return preparedQuery<RecordedReceipt>(this.dataSource, RECORD, [
      ordered.map((m) => m.messageId),
      ordered.map((m) => m.recipientId),
      ordered.map((m) => RANK[m.status]),
      ordered.map((m) => m.deliveredAt),
      ordered.map((m) => m.readAt),
    ]);
  }
}

function compareKeys(a: MergedReceipt, b: MergedReceipt): number {
  if (a.messageId !== b.messageId) return a.messageId < b.messageId ? -1 : 1;
  return a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0;
}
