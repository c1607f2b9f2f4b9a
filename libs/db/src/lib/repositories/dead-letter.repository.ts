import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { DeadLetter } from '@mq/messaging-contracts';
import { MAX_FAILURE_CHARS } from './delivery.repository';
import { type KeysetPage, type KeysetPageQuery, type KeysetPosition, keysetTime, toKeysetPage } from './keyset-page';

/** A job Bull gave up on, as the worker records it: its payload holds ids only, never content. */
export type NewDeadLetter = Omit<DeadLetter, 'id' | 'failedAt' | 'replayedAt' | 'replayJobId'> & {
  /** Bull's finishedOn: with the job id, what makes a second report of the same failure a no-op. */
  failedAt: Date;
};

type DeadLetterRow = Omit<DeadLetter, 'failedAt' | 'replayedAt'> & { failedAt: Date; replayedAt: Date | null };

const DEAD_LETTER_COLUMNS = `id, queue, job_id AS "jobId", job_name AS "jobName", data, failed_reason AS "failedReason", stacktrace,
  attempts_made AS "attemptsMade", failed_at AS "failedAt", replayed_at AS "replayedAt", replay_job_id AS "replayJobId"`;

function toDeadLetter({ position: _, ...row }: DeadLetterRow & { position?: KeysetPosition }): DeadLetter {
  return { ...row, failedAt: row.failedAt.toISOString(), replayedAt: row.replayedAt?.toISOString() ?? null };
}

/**
 * `dead_letters`: every job that exhausted its attempts, kept in Postgres long after Bull's
 * bounded retention dropped it, for operators to find, replay or discard.
 */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Reason and trace are cut to MAX_FAILURE_CHARS. Returns whether it was new (the same failure reported twice is kept once). */
  async record(letter: NewDeadLetter): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, stacktrace, attempts_made, failed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (job_id, failed_at) DO NOTHING RETURNING id`,
      [
        letter.queue,
        letter.jobId,
        letter.jobName,
        JSON.stringify(letter.data),
        letter.failedReason.slice(0, MAX_FAILURE_CHARS),
        letter.stacktrace?.slice(0, MAX_FAILURE_CHARS) ?? null,
        letter.attemptsMade,
        letter.failedAt,
      ],
    );
    return rows.length > 0;
  }

  /** Newest first. */
  async page(query: KeysetPageQuery): Promise<KeysetPage<DeadLetter>> {
    const rows: (DeadLetterRow & { position: KeysetPosition })[] = await this.dataSource.query(
      `SELECT ${DEAD_LETTER_COLUMNS}, json_build_object('at', ${keysetTime('failed_at')}, 'id', id) AS position FROM dead_letters
       WHERE ($1::timestamptz IS NULL OR (failed_at, id) < ($1::timestamptz, $2::uuid))
       ORDER BY failed_at DESC, id DESC LIMIT $3`,
      [query.after?.at ?? null, query.after?.id ?? null, query.limit],
    );
    return toKeysetPage(rows, query.limit, toDeadLetter);
  }

  async find(id: string): Promise<DeadLetter | undefined> {
    const [row]: DeadLetterRow[] = await this.dataSource.query(`SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = $1`, [id]);
    return row && toDeadLetter(row);
  }

  async markReplayed(id: string, replayJobId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(`UPDATE dead_letters SET replayed_at = now(), replay_job_id = $2 WHERE id = $1`, [id, replayJobId]);
  }

  /** Returns whether there was such a dead letter. */
  async delete(id: string): Promise<boolean> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(`DELETE FROM dead_letters WHERE id = $1`, [id]);
    return deleted > 0;
  }
}
