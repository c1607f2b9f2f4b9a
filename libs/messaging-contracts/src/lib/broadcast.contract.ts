import type { DeliveryStatus } from './message.contract';
import type { BatchSummary, CursorQuery } from './operator.contract';

/** `GET /messages/batches/:id/detail` -> 200: a broadcast's page, who started it, and where each of its deliveries stands. */
export interface BatchDetail extends BatchSummary {
  /** The message it fans out (its timeline); null once retention removed it. */
  messageId: string | null;
  chunkSize: number;
  /** Milliseconds between chunks. */
  chunkDelayMs: number;
  /** Its delivery rows by status now: a retried failure moves on from `failed`, unlike the fan-out's own `failed` count. */
  deliveries: Record<DeliveryStatus, number>;
}

/** `GET /deliveries/failed` query: newest failure first, a keyset page at a time. */
export interface FailedDeliveriesQuery extends CursorQuery {
  /** Only the deliveries of this broadcast (or large group's fan-out). */
  batchId?: string;
  queue?: 'message-delivery' | 'batch-message-sending';
  /** Case-insensitive substring of the failure reason. */
  reason?: string;
  /** ISO 8601; failed at or after. */
  from?: string;
  /** ISO 8601; failed before. */
  to?: string;
}
