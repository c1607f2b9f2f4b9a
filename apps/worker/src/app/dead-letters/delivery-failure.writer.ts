import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Failure reasons are kept whole enough to read, not as unbounded traces. */
export const MAX_FAILURE_CHARS = 8_000;

/**
 * Writes a send job's failure onto the deliveries it still owed (those `queued`): the attempt
 * count and error, and when the job will not run again, `failed` (the message too), which is
 * what puts them in the failed deliveries list and the timeline, ready to retry. Deliveries
 * already `failed` before this attempt started (an operator's retry) take its count and error.
 */
@Injectable()
export class DeliveryFailureWriter {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Returns how many deliveries this marked failed. `attemptStartedAt` (epoch ms, Bull's
   * `processedOn`) is when the failed attempt began: unknown for a job that never ran.
   */
  async record(messageIds: readonly string[], attempts: number, reason: string, final: boolean, attemptStartedAt?: number): Promise<number> {
    if (messageIds.length === 0) return 0;
    const [{ failed }] = (await this.dataSource.query(
      `WITH failed AS (
         UPDATE message_deliveries d SET updated_at = now(),
           -- A retried failed delivery counts on from its own attempts (a fresh job starts at 1).
           attempts = CASE WHEN d.status = 'failed' THEN d.attempts + 1 ELSE GREATEST(d.attempts, $2) END,
           -- A recipient the processor itself could not send to has this attempt's own reason already.
           failure_reason = CASE WHEN d.status = 'queued' AND d.attempts >= $2 AND d.failure_reason IS NOT NULL THEN d.failure_reason ELSE $3 END,
           status = CASE WHEN $4::boolean THEN 'failed' ELSE d.status END,
           failed_at = CASE WHEN $4::boolean OR d.status = 'failed' THEN now() ELSE d.failed_at END
         WHERE d.message_id = ANY($1::uuid[])
           AND (d.status = 'queued' OR (d.status = 'failed' AND d.failed_at < to_timestamp($5::double precision / 1000)))
         RETURNING d.message_id
       ), messages_failed AS (
         UPDATE messages m SET status = 'failed' WHERE $4::boolean AND m.id IN (SELECT message_id FROM failed) AND m.status = 'queued'
       )
       SELECT CASE WHEN $4::boolean THEN count(*)::int ELSE 0 END AS failed FROM failed`,
      [messageIds, attempts, reason.slice(0, MAX_FAILURE_CHARS), final, attemptStartedAt ?? null],
    )) as [{ failed: number }];
    return failed;
  }
}
