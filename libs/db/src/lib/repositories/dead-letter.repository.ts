import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { DeadLetter, DeadLetterGroup } from '@mq/messaging-contracts';
import { failureSignature, topFrame } from '../failure-fingerprint';
import { SqlParams, SqlStatement } from '../sql-statement';
import { uuidV7 } from '../uuid-v7';
import { MAX_FAILURE_CHARS } from './delivery.repository';
import { keysetTime, positionBefore, toKeysetPage, type KeysetPage, type KeysetPageQuery, type KeysetPosition } from './keyset-page';

/** A job Bull gave up on, as the worker records it: its payload holds ids only, never content. */
export type NewDeadLetter = Omit<DeadLetter, 'id' | 'failedAt' | 'replayedAt' | 'replayJobId' | 'fingerprint'> & {
  /** Bull's finishedOn: with the job id, what makes a second report of the same failure a no-op. */
  failedAt: Date;
};

/** How long a discard can be undone; the retention job purges discarded rows after it. */
export const DEAD_LETTER_UNDO_MINUTES = 5;

export interface DeadLetterDiscard {
  discarded: number;
  discardId: string;
  undoUntil: Date;
}

type DeadLetterRow = Omit<DeadLetter, 'failedAt' | 'replayedAt'> & { failedAt: Date; replayedAt: Date | null };

const DEAD_LETTER_COLUMNS = `id, queue, job_id AS "jobId", job_name AS "jobName", data, failed_reason AS "failedReason", stacktrace,
  attempts_made AS "attemptsMade", failed_at AS "failedAt", replayed_at AS "replayedAt", replay_job_id AS "replayJobId", fingerprint`;

function toDeadLetter({ position: _, ...row }: DeadLetterRow & { position?: KeysetPosition }): DeadLetter {
  return { ...row, failedAt: row.failedAt.toISOString(), replayedAt: row.replayedAt?.toISOString() ?? null };
}

/**
 * `dead_letters`: every job that exhausted its attempts, kept in Postgres long after Bull's
 * bounded retention dropped it, for operators to find, replay or discard — one at a time or a
 * whole cause (fingerprint) at once. Discarded rows are hidden, kept for the undo window, then
 * purged by the retention job.
 */
export type DeadLetterPageQuery = KeysetPageQuery & { fingerprint?: string };

/** A page of live letters; with a fingerprint, by that group's index. */
export function deadLetterPageStatement(query: DeadLetterPageQuery): SqlStatement {
  const p = new SqlParams();
  const group = query.fingerprint === undefined ? '' : `AND fingerprint = ${p.add(query.fingerprint)}`;
  return {
    sql: `SELECT ${DEAD_LETTER_COLUMNS}, json_build_object('at', ${keysetTime('failed_at')}, 'id', id) AS position FROM dead_letters
          WHERE discarded_at IS NULL ${group}
            AND ${positionBefore('failed_at', 'id', p.add(query.after?.at ?? null), p.add(query.after?.id ?? null))}
          ORDER BY failed_at DESC, id DESC LIMIT ${p.add(query.limit)}`,
    params: p.values,
  };
}

@Injectable()
export class DeadLetterRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Reason and trace are cut to MAX_FAILURE_CHARS. Returns whether it was new (the same failure reported twice is kept once). */
  async record(letter: NewDeadLetter): Promise<boolean> {
    const { fingerprint } = failureSignature(letter.jobName, letter.failedReason, letter.stacktrace);
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO dead_letters (queue, job_id, job_name, data, failed_reason, stacktrace, attempts_made, failed_at, fingerprint)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
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
        fingerprint,
      ],
    );
    return rows.length > 0;
  }

  /** Newest first; with a fingerprint, that group's letters only. */
  async page(query: DeadLetterPageQuery): Promise<KeysetPage<DeadLetter>> {
    const { sql, params } = deadLetterPageStatement(query);
    const rows: (DeadLetterRow & { position: KeysetPosition })[] = await this.dataSource.query(sql, [...params]);
    return toKeysetPage(rows, query.limit, toDeadLetter);
  }

  /** Live letters by cause, the most recently seen cause first, each with its latest letter. */
  async groups(limit: number): Promise<DeadLetterGroup[]> {
    const rows: (DeadLetterRow & { count: number; pending: number; firstSeen: Date; lastSeen: Date })[] = await this.dataSource.query(
      `WITH g AS (
         SELECT fingerprint AS key, count(*)::int AS count, (count(*) FILTER (WHERE replayed_at IS NULL))::int AS pending,
                min(failed_at) AS first_seen, max(failed_at) AS last_seen
         FROM dead_letters WHERE discarded_at IS NULL GROUP BY fingerprint ORDER BY last_seen DESC LIMIT $1)
       SELECT s.*, g.count, g.pending, g.first_seen AS "firstSeen", g.last_seen AS "lastSeen" FROM g
       CROSS JOIN LATERAL (SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters d
                           WHERE d.fingerprint = g.key AND d.discarded_at IS NULL ORDER BY d.failed_at DESC, d.id DESC LIMIT 1) s
       ORDER BY g.last_seen DESC, g.key`,
      [limit],
    );
    return rows.map(({ count, pending, firstSeen, lastSeen, ...letter }) => {
      const sample = toDeadLetter(letter);
      const signature = failureSignature(sample.jobName, sample.failedReason, sample.stacktrace);
      return {
        fingerprint: sample.fingerprint,
        queue: sample.queue,
        jobName: sample.jobName,
        error: signature.error,
        topFrame: topFrame(sample.stacktrace),
        count,
        pending,
        firstSeen: firstSeen.toISOString(),
        lastSeen: lastSeen.toISOString(),
        sample,
      };
    });
  }

  /** How many live letters the group holds; `pendingOnly`: those not replayed yet. */
  async countGroup(fingerprint: string, pendingOnly: boolean): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM dead_letters WHERE fingerprint = $1 AND discarded_at IS NULL AND (NOT $2 OR replayed_at IS NULL)`,
      [fingerprint, pendingOnly],
    );
    return row?.n ?? 0;
  }

  /** The oldest `limit` live letters of the group not replayed yet: a replay marks them, so the next call gets the next ones. */
  async pendingInGroup(fingerprint: string, limit: number): Promise<DeadLetter[]> {
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE fingerprint = $1 AND discarded_at IS NULL AND replayed_at IS NULL
       ORDER BY failed_at, id LIMIT $2`,
      [fingerprint, limit],
    );
    return rows.map(toDeadLetter);
  }

  /** A live letter; a discarded one is not found. */
  async find(id: string): Promise<DeadLetter | undefined> {
    const [row]: DeadLetterRow[] = await this.dataSource.query(`SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = $1 AND discarded_at IS NULL`, [id]);
    return row && toDeadLetter(row);
  }

  async markReplayed(id: string, replayJobId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(`UPDATE dead_letters SET replayed_at = now(), replay_job_id = $2 WHERE id = $1`, [id, replayJobId]);
  }

  /** Hides one live letter (undoable for DEAD_LETTER_UNDO_MINUTES); undefined when there is none. */
  async discard(id: string): Promise<DeadLetterDiscard | undefined> {
    const discard = await this.discardWhere(`id = $2`, id);
    return discard.discarded > 0 ? discard : undefined;
  }

  /** Hides every live letter of the group at once, as one discard an undo restores. */
  async discardGroup(fingerprint: string): Promise<DeadLetterDiscard> {
    return this.discardWhere(`fingerprint = $2`, fingerprint);
  }

  /** Brings a discard's letters back while its undo window is open; returns how many. */
  async restore(discardId: string): Promise<number> {
    const [, restored]: [unknown, number] = await this.dataSource.query(
      `UPDATE dead_letters SET discarded_at = NULL, discard_id = NULL
       WHERE discard_id = $1 AND discarded_at > now() - make_interval(mins => $2)`,
      [discardId, DEAD_LETTER_UNDO_MINUTES],
    );
    return restored;
  }

  private async discardWhere(where: string, value: string): Promise<DeadLetterDiscard> {
    const discardId = uuidV7();
    const [rows, discarded]: [{ until: Date }[], number] = await this.dataSource.query(
      `UPDATE dead_letters SET discarded_at = now(), discard_id = $1 WHERE discarded_at IS NULL AND ${where}
       RETURNING now() + make_interval(mins => $3) AS until`,
      [discardId, value, DEAD_LETTER_UNDO_MINUTES],
    );
    const until = rows[0]?.until ?? new Date(Date.now() + DEAD_LETTER_UNDO_MINUTES * 60_000);
    return { discarded, discardId, undoUntil: until };
  }
}
