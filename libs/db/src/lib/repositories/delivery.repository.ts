import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Delivery, FailedDelivery, FailedDeliveryGroup } from '@mq/messaging-contracts';
import { normaliseError } from '../failure-fingerprint';
import { SqlParams, SqlStatement } from '../sql-statement';
import { type KeysetPage, type KeysetPageQuery, type KeysetPosition, keysetTime, positionBefore, timeWithin, toKeysetPage } from './keyset-page';

/** Failure reasons are kept whole enough to read, not as unbounded traces. */
export const MAX_FAILURE_CHARS = 8_000;

export interface FailedDeliveriesFilter extends KeysetPageQuery {
  /** Sent by a direct send job (`message-delivery`, also a delivery no job has taken yet) or by a fan-out batch (`batch-message-sending`). */
  queue?: 'message-delivery' | 'batch-message-sending';
  /** Case-insensitive substring of the failure reason. */
  reason?: string;
  from?: Date;
  to?: Date;
  /** Only the deliveries of this batch (a broadcast or a large group's fan-out: one message each). */
  batchId?: string;
}

/** A page of failed deliveries, newest first; of one message (a batch's) by that message's index. */
export function failedDeliveriesPageStatement(filter: FailedDeliveriesFilter, messageId: string | null): SqlStatement {
  const p = new SqlParams();
  const key = "d.message_id || ':' || d.recipient_id";
  // A failed delivery always has its failed_at; saying so lets the partial indexes serve the list.
  const where = [`d.status = 'failed'`, `d.failed_at IS NOT NULL`];
  // Each filter only when given: "$n IS NULL OR ..." would keep a generic plan off its index (see idAfter in keyset-page.ts).
  if (messageId !== null) where.push(`d.message_id = ${p.add(messageId)}::uuid`);
  if (filter.queue !== undefined) where.push(`COALESCE(d.job_id LIKE 'batch:%', false) = ${p.add(filter.queue === 'batch-message-sending')}::boolean`);
  if (filter.reason !== undefined) where.push(`d.failure_reason ILIKE '%' || ${p.add(filter.reason)}::text || '%'`);
  where.push(timeWithin('d.failed_at', p.add(filter.from ?? null), p.add(filter.to ?? null)));
  where.push(positionBefore('d.failed_at', key, p.add(filter.after?.at ?? null), p.add(filter.after?.id ?? null), 'text'));
  return {
    sql: `SELECT d.message_id AS "messageId", m.conversation_id AS "conversationId", d.recipient_id AS "recipientId",
                 d.failure_reason AS "failureReason", d.attempts, d.job_id AS "jobId", d.failed_at AS "failedAt",
                 json_build_object('at', ${keysetTime('d.failed_at')}, 'id', ${key}) AS position
          FROM message_deliveries d JOIN messages m ON m.id = d.message_id
          WHERE ${where.join(' AND ')}
          ORDER BY d.failed_at DESC, ${key} DESC LIMIT ${p.add(filter.limit)}`,
    params: p.values,
  };
}

/** A send job's failed attempt, as Bull reports it. */
export interface SendJobFailure {
  messageIds: readonly string[];
  attempts: number;
  reason: string;
  /** Bull will not run the job again. */
  final: boolean;
  /** When the failed attempt began (Bull's processedOn); unknown for a job that never ran. */
  attemptStartedAt?: Date;
}

/** `message_deliveries`: one row per message and recipient, and where its delivery stands. */
/** Exact reasons read to make the groups: more distinct reasons than this is itself the finding. */
const MAX_FAILURE_REASONS = 1_000;

/** The longest stretch of a normalised reason without a placeholder: every reason of its group contains it. */
function longestLiteral(reason: string): string {
  return reason
    .split(/<(?:id|time|hex|n)>/)
    .map((part) => part.trim())
    .reduce((longest, part) => (part.length > longest.length ? part : longest), '');
}

@Injectable()
export class DeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A message's deliveries, by recipient id. */
  async forMessage(messageId: string): Promise<Delivery[]> {
    const rows: (Omit<Delivery, 'sentAt' | 'deliveredAt' | 'readAt'> & { sentAt: Date | null; deliveredAt: Date | null; readAt: Date | null })[] =
      await this.dataSource.query(
        `SELECT recipient_id AS "recipientId", status, attempts, failure_reason AS "failureReason",
                sent_at AS "sentAt", delivered_at AS "deliveredAt", read_at AS "readAt"
         FROM message_deliveries WHERE message_id = $1 ORDER BY recipient_id`,
        [messageId],
      );
    const iso = (date: Date | null) => date?.toISOString() ?? null;
    return rows.map((row) => ({ ...row, sentAt: iso(row.sentAt), deliveredAt: iso(row.deliveredAt), readAt: iso(row.readAt) }));
  }

  /** Of these messages, the ones the recipient has not confirmed yet (queued or sent to them). */
  async unconfirmed(recipientId: string, messageIds: readonly string[]): Promise<string[]> {
    if (messageIds.length === 0) return [];
    const rows: { message_id: string }[] = await this.dataSource.query(
      `SELECT message_id FROM message_deliveries WHERE recipient_id = $1 AND message_id = ANY($2::uuid[]) AND status IN ('queued', 'sent')`,
      [recipientId, messageIds],
    );
    return rows.map((row) => row.message_id);
  }

  /** The send job a delivery of the message belongs to, if any. */
  async jobOf(messageId: string): Promise<string | undefined> {
    const [row]: { job_id: string }[] = await this.dataSource.query(
      'SELECT job_id FROM message_deliveries WHERE message_id = $1 AND job_id IS NOT NULL LIMIT 1',
      [messageId],
    );
    return row?.job_id;
  }

  /** Newest failure first; a position's id is `<message id>:<recipient id>`. */
  async failedPage(filter: FailedDeliveriesFilter): Promise<KeysetPage<FailedDelivery>> {
    // The batch's message is looked up first: as a value (not a subquery) the statement reads
    // only that message's failures (idx_message_deliveries_message_id_failed_at).
    let messageId: string | null = null;
    if (filter.batchId) {
      const [batch]: { message_id: string | null }[] = await this.dataSource.query('SELECT message_id FROM batches WHERE id = $1', [filter.batchId]);
      if (!batch?.message_id) return { items: [], next: null };
      messageId = batch.message_id;
    }
    const { sql, params } = failedDeliveriesPageStatement(filter, messageId);
    const rows: (Omit<FailedDelivery, 'failedAt'> & { failedAt: Date; position: KeysetPosition })[] = await this.dataSource.query(sql, [...params]);
    return toKeysetPage(rows, filter.limit, ({ position: _, ...row }) => ({ ...row, failedAt: row.failedAt.toISOString() }));
  }

  /**
   * Failed deliveries by cause, the most recently seen first: Postgres groups them by exact
   * reason (a few hundred at most), then reasons that differ only in ids or numbers are merged
   * by the same normalisation as dead letters' fingerprints.
   */
  async failedGroups(limit: number): Promise<FailedDeliveryGroup[]> {
    const rows: { reason: string; count: number; firstSeen: Date; lastSeen: Date; messageId: string; recipientId: string }[] = await this.dataSource.query(
      `SELECT * FROM (
         SELECT DISTINCT ON (failure_reason) failure_reason AS reason, message_id AS "messageId", recipient_id AS "recipientId",
                (count(*) OVER w)::int AS count, min(failed_at) OVER w AS "firstSeen", max(failed_at) OVER w AS "lastSeen"
         FROM message_deliveries WHERE status = 'failed' AND failed_at IS NOT NULL AND failure_reason IS NOT NULL
         WINDOW w AS (PARTITION BY failure_reason) ORDER BY failure_reason, failed_at DESC
       ) latest ORDER BY "lastSeen" DESC LIMIT $1`,
      [MAX_FAILURE_REASONS],
    );
    const groups = new Map<string, FailedDeliveryGroup>();
    for (const row of rows) {
      const reason = normaliseError(row.reason);
      const group = groups.get(reason);
      if (!group) {
        groups.set(reason, {
          reason,
          filter: longestLiteral(reason),
          count: row.count,
          firstSeen: row.firstSeen.toISOString(),
          lastSeen: row.lastSeen.toISOString(),
          sample: { messageId: row.messageId, recipientId: row.recipientId, failureReason: row.reason },
        });
        continue;
      }
      // Rows come latest first: the group's sample and last seen are already the latest.
      group.count += row.count;
      if (row.firstSeen.toISOString() < group.firstSeen) group.firstSeen = row.firstSeen.toISOString();
    }
    return [...groups.values()].slice(0, limit);
  }

  /** Of these messages, those not deleted that have a failed delivery. */
  async messagesWithFailedDeliveries(messageIds: readonly string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.id FROM messages m
       JOIN message_deliveries d ON d.message_id = m.id AND d.status = 'failed'
       WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL`,
      [messageIds],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Writes a send job's failed attempt onto the deliveries it still owed (those `queued`): the
   * attempt count and error, and when the job will not run again, `failed` (the message too),
   * which puts them in the failed deliveries list and the timeline, ready to retry. Deliveries
   * already `failed` before this attempt started (an operator's retry) take its count and error.
   * Returns how many deliveries this marked failed.
   */
  async recordSendJobFailure(failure: SendJobFailure): Promise<number> {
    if (failure.messageIds.length === 0) return 0;
    const [{ failed }]: [{ failed: number }] = await this.dataSource.query(
      `WITH failed AS (
         UPDATE message_deliveries d SET updated_at = now(),
           -- A retried failed delivery counts on from its own attempts (a fresh job starts at 1).
           attempts = CASE WHEN d.status = 'failed' THEN d.attempts + 1 ELSE GREATEST(d.attempts, $2) END,
           -- A recipient the processor itself could not send to has this attempt's own reason already.
           failure_reason = CASE WHEN d.status = 'queued' AND d.attempts >= $2 AND d.failure_reason IS NOT NULL THEN d.failure_reason ELSE $3 END,
           status = CASE WHEN $4::boolean THEN 'failed' ELSE d.status END,
           failed_at = CASE WHEN $4::boolean OR d.status = 'failed' THEN now() ELSE d.failed_at END
         WHERE d.message_id = ANY($1::uuid[])
           AND (d.status = 'queued' OR (d.status = 'failed' AND d.failed_at < $5::timestamptz))
         RETURNING d.message_id
       ), messages_failed AS (
         UPDATE messages m SET status = 'failed' WHERE $4::boolean AND m.id IN (SELECT message_id FROM failed) AND m.status = 'queued'
       )
       SELECT CASE WHEN $4::boolean THEN count(*)::int ELSE 0 END AS failed FROM failed`,
      [failure.messageIds, failure.attempts, failure.reason.slice(0, MAX_FAILURE_CHARS), failure.final, failure.attemptStartedAt ?? null],
    );
    return failed;
  }
}
