import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { JobName, QueueName } from '@mq/queue-contracts';
import { preparedQuery } from '../prepared-query';
import { SqlStatement, renumber } from '../sql-statement';
import { outboxInsert } from './outbox-insert.sql';

/** A job to write to the outbox. */
export interface OutboxJob {
  queue: QueueName;
  jobName: JobName;
  jobId: string;
  payload: object;
  priority: number;
  availableAt: Date;
}

/** A row of the outbox the relay or the recovery reads back. */
export interface OutboxRow {
  id: string;
  jobId: string;
  jobName: JobName;
  payload: Record<string, unknown>;
  priority: number;
  availableAt: Date;
}

/** A published `send-message` job whose end is not recorded yet, with the messages it carries. */
export interface UnfinishedSend {
  id: string;
  jobId: string;
  messageIds: string[];
}

const MARK_PUBLISHED = 'UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL';
const FIND_JOB = 'SELECT job_name AS "jobName", payload, priority FROM outbox WHERE job_id = $1';

/**
 * `outbox`: jobs written in the transaction of the rows they refer to, published to Redis
 * after commit (OutboxPublisher in libs/messaging) or by the relay. The only writer of the table.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes jobs inside the caller's transaction, in one statement with the `alongside`
   * statements (data-modifying, each numbering its parameters from $1). Returns the outbox id
   * of each job written, by job id; a job id already staged (a retried request) keeps its
   * first row and is left out.
   */
  async stage(manager: EntityManager, jobs: readonly OutboxJob[], alongside: readonly SqlStatement[] = []): Promise<Map<string, string>> {
    if (jobs.length === 0 && alongside.length === 0) return new Map();
    const params: unknown[] = [];
    const ctes = alongside.map((statement, i) => {
      const offset = params.length;
      params.push(...statement.params);
      return `s${i} AS (${renumber(statement.sql, offset)})`;
    });
    let staged = 'SELECT NULL::bigint AS id, NULL::text AS job_id WHERE false';
    if (jobs.length > 0) {
      // In job id order: two transactions staging the same ids (a recipient's reminder window)
      // then wait for each other in one order, never in a cycle (a deadlock costs deadlock_timeout).
      const ordered = [...jobs].sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
      const at = params.length;
      staged = outboxInsert(
        `SELECT * FROM unnest($${at + 1}::text[], $${at + 2}::text[], $${at + 3}::text[], $${at + 4}::jsonb[], $${at + 5}::int[], $${at + 6}::timestamptz[])
           AS j(queue, job_name, job_id, payload, priority, available_at)`,
      );
      params.push(
        ordered.map((j) => j.queue),
        ordered.map((j) => j.jobName),
        ordered.map((j) => j.jobId),
        ordered.map((j) => JSON.stringify(j.payload)),
        ordered.map((j) => j.priority),
        ordered.map((j) => j.availableAt),
      );
    }
    const rows = await preparedQuery<{ id: string; job_id: string }>(
      manager,
      `WITH ${[...ctes, `staged AS (${staged})`].join(', ')} SELECT id, job_id FROM staged`,
      params,
    );
    return new Map(rows.map((row) => [row.job_id, row.id]));
  }

  /** Rows whose jobs reached Redis; a row already marked stays as it is. */
  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await preparedQuery(this.dataSource, MARK_PUBLISHED, [ids]);
  }

  /**
   * The relay's turn, in one transaction: unpublished rows older than `graceMs` (younger ones
   * are the fast path's), locked so concurrent relays share them, handed to `publish`, which
   * answers the ids it published and the errors of the others.
   */
  async relayUnpublished(
    graceMs: number,
    limit: number,
    publish: (rows: readonly OutboxRow[]) => Promise<{ published: string[]; failed: { id: string; error: string }[] }>,
  ): Promise<{ published: string[]; failed: { id: string; error: string }[] }> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, job_id AS "jobId", job_name AS "jobName", payload, priority, available_at AS "availableAt" FROM outbox
         WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [graceMs, limit],
      );
      const outcome = await publish(rows);
      if (outcome.published.length > 0) await manager.query(MARK_PUBLISHED, [outcome.published]);
      if (outcome.failed.length > 0) {
        await manager.query(
          `UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.error
           FROM unnest($1::bigint[], $2::text[]) AS f(id, error) WHERE o.id = f.id`,
          [outcome.failed.map((f) => f.id), outcome.failed.map((f) => f.error.slice(0, 500))],
        );
      }
      return outcome;
    });
  }

  /**
   * Marks unpublished again the rows published in the last `windowMs` whose jobs did not end
   * (no completed or finally failed event in job_events): after Redis lost its data, the relay
   * publishes them once more. Returns how many.
   */
  async republishUnfinished(windowMs: number): Promise<number> {
    const [, updated] = (await this.dataSource.query(
      `UPDATE outbox o SET published_at = NULL
       WHERE o.published_at > now() - make_interval(secs => $1::double precision / 1000) AND o.finished_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = o.job_id AND e.kind IN ('completed', 'failed'))`,
      [windowMs],
    )) as [unknown, number];
    return updated;
  }

  /** The job staged under this id. */
  async findJob(jobId: string): Promise<Pick<OutboxRow, 'jobName' | 'payload' | 'priority'> | undefined> {
    const [row] = await preparedQuery<Pick<OutboxRow, 'jobName' | 'payload' | 'priority'>>(this.dataSource, FIND_JOB, [jobId]);
    return row;
  }

  /**
   * Deletes up to `limit` rows published more than `olderThanMs` ago; a send job not yet seen
   * to end is kept for the reconciler, however old. Returns how many.
   */
  async prunePublished(olderThanMs: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1::double precision / 1000)
           AND (finished_at IS NOT NULL OR job_name <> 'send-message') LIMIT $2)`,
      [olderThanMs, limit],
    )) as [unknown, number];
    return deleted;
  }

  /**
   * Inside the caller's transaction, locked (concurrent reconcilers skip each other's): up to
   * `limit` send jobs after `afterId`, published more than `olderThanMs` ago and not finished.
   */
  async lockUnfinishedSends(manager: EntityManager, afterId: string, olderThanMs: number, limit: number): Promise<UnfinishedSend[]> {
    return manager.query(
      `SELECT id, job_id AS "jobId", ARRAY(SELECT jsonb_array_elements_text(payload->'messageIds')) AS "messageIds" FROM outbox
       WHERE job_name = 'send-message' AND published_at IS NOT NULL AND finished_at IS NULL
         AND id > $1 AND published_at < now() - make_interval(secs => $2::double precision / 1000)
       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [afterId, olderThanMs, limit],
    );
  }

  /** The jobs of these rows ended (completed, failed for good, or gone). */
  async markFinished(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await manager.query('UPDATE outbox SET finished_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }
}
