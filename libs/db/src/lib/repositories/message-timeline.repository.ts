import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobEventKind } from '../entities/job-event.entity';

/** Everything Postgres knows of one message's way, table by table, each ordered as stored. */
export interface MessageHistory {
  message: { createdAt: Date; priority: string; sendAt: Date | null; deletedAt: Date | null };
  /** Outbox rows that carried it to a queue, with its trace context in that job when it was traced. */
  published: { jobId: string; queue: string; publishedAt: Date; traceparent: string | null }[];
  /** Traced receipts of it still in the outbox: whose, which, and the trace context of each. */
  receiptTraces: { recipientId: string; status: string; traceparent: string }[];
  jobEvents: { jobId: string; jobName: string; kind: JobEventKind; attempt: number; error: string | null; durationMs: number | null; at: Date }[];
  deliveries: {
    recipientId: string;
    sentAt: Date | null;
    deliveredAt: Date | null;
    readAt: Date | null;
    failedAt: Date | null;
    failureReason: string | null;
  }[];
  notifications: {
    id: string;
    userId: string;
    channel: string;
    status: string;
    error: string | null;
    createdAt: Date;
    sentAt: Date | null;
    /** What the provider reported after sending (bounced, delivered...), and when. */
    providerStatus: string | null;
    providerDetail: string | null;
    providerStatusAt: Date | null;
    fallbackOf: string | null;
  }[];
  deadLetters: { jobId: string; failedReason: string; failedAt: Date; replayedAt: Date | null }[];
}

/** A job payload (jsonb column) that is about message $1: its own, one of a batch's, or a receipt's. */
const ABOUT_MESSAGE = (column: string) =>
  `(${column}->>'messageId' = $1 OR ${column}->'messageIds' ? $1 OR ${column}->'receipts' @> jsonb_build_array(jsonb_build_object('messageId', $1::text)))`;

/** Message $1's trace context in an outbox payload: its entry of a batch's `traceparents`, or its first traced receipt's. */
const TRACEPARENT_IN_PAYLOAD = `COALESCE(
  (SELECT NULLIF(payload->'traceparents'->>(t.ord::int - 1), '') FROM jsonb_array_elements_text(payload->'messageIds') WITH ORDINALITY AS t(id, ord)
   WHERE t.id = $1 LIMIT 1),
  (SELECT r->>'traceparent' FROM jsonb_array_elements(payload->'receipts') AS r WHERE r->>'messageId' = $1 AND r ? 'traceparent' LIMIT 1))`;

/**
 * A message's whole story, read from Postgres (never by scanning Redis): what was accepted,
 * published, attempted, delivered, notified and dead-lettered. It outlives Bull's retention.
 */
@Injectable()
export class MessageTimelineRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Undefined when there is no such message. */
  async history(messageId: string): Promise<MessageHistory | undefined> {
    const [message]: MessageHistory['message'][] = await this.dataSource.query(
      `SELECT created_at AS "createdAt", priority, send_at AS "sendAt", deleted_at AS "deletedAt" FROM messages WHERE id = $1`,
      [messageId],
    );
    if (!message) return undefined;
    const published: MessageHistory['published'] = await this.dataSource.query(
      `SELECT job_id AS "jobId", queue, published_at AS "publishedAt", ${TRACEPARENT_IN_PAYLOAD} AS traceparent
       FROM outbox WHERE ${ABOUT_MESSAGE('payload')} AND published_at IS NOT NULL`,
      [messageId],
    );
    const receiptTraces: MessageHistory['receiptTraces'] = await this.dataSource.query(
      `SELECT r->>'recipientId' AS "recipientId", r->>'status' AS status, r->>'traceparent' AS traceparent
       FROM outbox, jsonb_array_elements(payload->'receipts') AS r
       WHERE payload->'receipts' @> jsonb_build_array(jsonb_build_object('messageId', $1::text)) AND r->>'messageId' = $1 AND r ? 'traceparent'`,
      [messageId],
    );
    // A job of many messages names none of them in job_events: it is found by its outbox row or by the delivery rows it sent.
    const jobEvents: MessageHistory['jobEvents'] = await this.dataSource.query(
      `SELECT job_id AS "jobId", job_name AS "jobName", kind, attempt, error, duration_ms AS "durationMs", at FROM job_events
         WHERE message_id = $1 OR job_id = ANY($2::text[]) OR job_id IN (SELECT job_id FROM message_deliveries WHERE message_id = $1 AND job_id IS NOT NULL)`,
      [messageId, published.map((row) => row.jobId)],
    );
    const deliveries: MessageHistory['deliveries'] = await this.dataSource.query(
      `SELECT recipient_id AS "recipientId", sent_at AS "sentAt", delivered_at AS "deliveredAt", read_at AS "readAt", failed_at AS "failedAt",
              failure_reason AS "failureReason"
       FROM message_deliveries WHERE message_id = $1`,
      [messageId],
    );
    const notifications: MessageHistory['notifications'] = await this.dataSource.query(
      `SELECT id, user_id AS "userId", channel, status, error, created_at AS "createdAt", sent_at AS "sentAt", provider_status AS "providerStatus",
              provider_detail AS "providerDetail", provider_status_at AS "providerStatusAt", fallback_of AS "fallbackOf"
       FROM notifications WHERE message_id = $1`,
      [messageId],
    );
    const deadLetters: MessageHistory['deadLetters'] = await this.dataSource.query(
      `SELECT job_id AS "jobId", failed_reason AS "failedReason", failed_at AS "failedAt", replayed_at AS "replayedAt" FROM dead_letters WHERE ${ABOUT_MESSAGE('data')}`,
      [messageId],
    );
    return { message, published, receiptTraces, jobEvents, deliveries, notifications, deadLetters };
  }
}
