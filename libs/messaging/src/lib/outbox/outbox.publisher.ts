import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { LostJobSource, MessageQueueService, StagedJobRecord } from '@mq/queue';
import { JobName, JobPayload, JobPriority, QUEUE_POLICY, jobIdFor, queueOfJob } from '@mq/queue-contracts';

export interface StagedJob {
  id: string;
  jobId: string;
  jobName: JobName;
  payload: Record<string, unknown>;
  priority: number;
  availableAt: Date;
}

/** One job to stage with stageAll: any kind, each with its own options. */
export interface StageEntry<N extends JobName = JobName> {
  name: N;
  payload: JobPayload<N>;
  options?: StageOptions;
}

export interface StageOptions {
  priority?: JobPriority;
  /** Overrides the deterministic id: for a deliberate second run of the same work (a resume). */
  jobId?: string;
  /** Not before this time (a scheduled send); default now. */
  availableAt?: Date;
}

const MARK_EVERY_MS = 50;
const MARK_BATCH = 500;

/**
 * The transactional outbox. A job is first written to Postgres in the same transaction as
 * the rows it refers to, then published to Bull: right after commit by the caller (fast
 * path), or by the worker's relay if that did not happen (Redis down, process killed).
 * Job ids are deterministic, so publishing twice yields one job.
 */
@Injectable()
export class OutboxPublisher implements OnApplicationShutdown, LostJobSource {
  private readonly logger = new Logger(OutboxPublisher.name);
  private readonly unmarked = new Set<string>();
  private markTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: MessageQueueService,
  ) {}

  /** The outbox row a job would be staged as, not yet written. */
  private prepare<N extends JobName>(name: N, payload: JobPayload<N>, options: StageOptions = {}): Omit<StagedJob, 'id'> {
    const queue = queueOfJob(name);
    return {
      jobName: name,
      jobId: options.jobId ?? jobIdFor(name, payload),
      payload: { ...payload } as Record<string, unknown>,
      priority: options.priority ?? QUEUE_POLICY[queue].defaultPriority,
      availableAt: options.availableAt ?? new Date(),
    };
  }

  /** Records a job inside the caller's transaction. Staging the same job twice (a retried request) keeps the first row. */
  async stage<N extends JobName>(manager: EntityManager, name: N, payload: JobPayload<N>, options: StageOptions = {}): Promise<StagedJob> {
    const [staged] = await this.stageAll(manager, [{ name, payload, options } as StageEntry]);
    return staged as StagedJob;
  }

  /**
   * Records jobs of any kinds inside the caller's transaction, all in one statement. The
   * `alongside` statements (data-modifying, each numbering its own parameters from $1) run in
   * that same statement: the caller's writes and its follow-up jobs in one round trip.
   */
  async stageAll(manager: EntityManager, entries: readonly StageEntry[], alongside: readonly SqlStatement[] = []): Promise<StagedJob[]> {
    if (entries.length === 0 && alongside.length === 0) return [];
    const rows = entries.map(({ name, payload, options }) => this.prepare(name, payload as JobPayload<typeof name>, options));
    const params: unknown[] = [];
    const ctes = alongside.map((statement, i) => {
      const offset = params.length;
      params.push(...statement.params);
      return `s${i} AS (${renumber(statement.sql, offset)})`;
    });
    const columns: [string, (row: (typeof rows)[number]) => unknown][] = [
      ['text[]', (r) => queueOfJob(r.jobName)],
      ['text[]', (r) => r.jobName],
      ['text[]', (r) => r.jobId],
      ['jsonb[]', (r) => JSON.stringify(r.payload)],
      ['int[]', (r) => r.priority],
      ['timestamptz[]', (r) => r.availableAt],
    ];
    const placeholders = columns.map(([type], i) => `$${params.length + i + 1}::${type}`).join(', ');
    const staged =
      rows.length === 0
        ? 'SELECT NULL::bigint AS id, NULL::text AS job_id WHERE false'
        : `INSERT INTO outbox (queue, job_name, job_id, payload, priority, available_at)
           SELECT * FROM unnest(${placeholders}) ON CONFLICT (job_id) DO NOTHING RETURNING id, job_id`;
    if (rows.length > 0) params.push(...columns.map(([, pick]) => rows.map(pick)));
    const inserted = await preparedQuery<{ id: string; job_id: string }>(
      manager,
      `WITH ${[...ctes, `staged AS (${staged})`].join(', ')} SELECT id, job_id FROM staged`,
      params,
    );
    const idByJobId = new Map(inserted.map((row) => [row.job_id, row.id]));
    return rows.map((row) => ({ id: idByJobId.get(row.jobId) ?? '', ...row }));
  }

  /**
   * Publishes staged jobs after their transaction committed. Never throws: what fails stays
   * unpublished for the relay. A job whose row was already there (staged before by a retry or
   * a duplicate) is left to whoever staged it. Returns how many were published.
   */
  async publish(jobs: readonly StagedJob[]): Promise<number> {
    const published: string[] = [];
    // Jobs due now go out in one round trip per kind; scheduled ones one by one (each has its delay).
    const now = Date.now();
    const batches = new Map<string, StagedJob[]>();
    for (const job of jobs) {
      if (!job.id) continue;
      const key = job.availableAt.getTime() > now ? `delayed:${job.jobId}` : `${job.jobName}:${job.priority}`;
      batches.set(key, [...(batches.get(key) ?? []), job]);
    }
    for (const batch of batches.values()) {
      try {
        await this.enqueueMany(batch);
        published.push(...batch.map((job) => job.id));
      } catch (error) {
        this.logger.warn(
          { jobIds: batch.slice(0, 5).map((job) => job.jobId), count: batch.length, err: errorMessage(error) },
          'enqueue failed; the outbox relay will publish it',
        );
      }
    }
    this.markPublished(published);
    return published.length;
  }

  /**
   * Marks rows published in the background, many per statement: off the request path, and a
   * row left unmarked (a crash before the flush) is only published again by the relay under the
   * same job id, which Bull or the idempotent processor absorbs.
   */
  private markPublished(ids: readonly string[]): void {
    for (const id of ids) this.unmarked.add(id);
    if (this.unmarked.size >= MARK_BATCH) void this.flushMarks();
    else this.markTimer ??= setTimeout(() => void this.flushMarks(), MARK_EVERY_MS);
  }

  /** Writes pending marks now (also at shutdown). */
  async flushMarks(): Promise<void> {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    if (this.unmarked.size === 0) return;
    const ids = [...this.unmarked];
    this.unmarked.clear();
    await preparedQuery(this.dataSource, 'UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL', [ids]).catch(
      (error: unknown) => this.logger.warn({ err: errorMessage(error), count: ids.length }, 'could not mark outbox rows published'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushMarks();
  }

  /**
   * The relay's step: publishes unpublished rows older than `graceMs` (younger ones are the
   * fast path's), locking them so concurrent relays share the work. Returns how many it published.
   */
  async relayPending(graceMs: number, limit: number): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: { id: string; job_id: string; job_name: JobName; payload: Record<string, unknown>; priority: number; available_at: Date }[] =
        await manager.query(
          `SELECT id, job_id, job_name, payload, priority, available_at FROM outbox
           WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1::double precision / 1000)
           ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [graceMs, limit],
        );
      const published: string[] = [];
      const failed: { id: string; error: string }[] = [];
      for (const row of rows) {
        try {
          await this.enqueue({
            id: row.id,
            jobId: row.job_id,
            jobName: row.job_name,
            payload: row.payload,
            priority: row.priority,
            availableAt: row.available_at,
          });
          published.push(row.id);
        } catch (error) {
          failed.push({ id: row.id, error: errorMessage(error) });
        }
      }
      if (published.length > 0) {
        await manager.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [published]);
      }
      for (const { id, error } of failed) {
        await manager.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [id, error.slice(0, 500)]);
      }
      if (failed.length > 0) this.logger.warn({ failed: failed.length, err: failed[0]?.error }, 'outbox relay could not publish');
      return published.length;
    });
  }

  /**
   * After Redis lost its data (a crash with nothing persisted), jobs published in the window
   * and not finished by then are gone: marks their rows unpublished again, so the relay
   * publishes them once more. "Finished" is a completed or finally failed job in job_events;
   * one that finished but was not recorded yet runs again, which every processor absorbs.
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

  /** The job staged under this id, to put back in Redis a job Redis lost (see JobHandlerRegistry). */
  async findJob(jobId: string): Promise<StagedJobRecord | undefined> {
    const [row] = await preparedQuery<{ job_name: string; payload: Record<string, unknown>; priority: number }>(
      this.dataSource,
      'SELECT job_name, payload, priority FROM outbox WHERE job_id = $1',
      [jobId],
    );
    return row ? { name: row.job_name, payload: row.payload, priority: row.priority } : undefined;
  }

  /**
   * Deletes published rows older than the given age, in one bounded statement; a send job not
   * yet seen to end is kept for the reconciler, however old.
   */
  async prunePublished(olderThanMs: number, limit = 10_000): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1::double precision / 1000)
           AND (finished_at IS NOT NULL OR job_name <> 'send-message') LIMIT $2)`,
      [olderThanMs, limit],
    )) as [unknown, number];
    return deleted;
  }

  private async enqueueMany(batch: readonly StagedJob[]): Promise<void> {
    const [first] = batch;
    if (!first) return;
    const deterministic = batch.every((job) => job.jobId === jobIdFor(job.jobName, job.payload as unknown as JobPayload<typeof job.jobName>));
    if (batch.length === 1 || !deterministic) {
      for (const job of batch) await this.enqueue(job);
      return;
    }
    // Same kind, priority, no delay and natural ids: addMany mints exactly these ids, in one round trip.
    await this.queues.addMany(first.jobName, batch.map((job) => job.payload) as unknown as JobPayload<typeof first.jobName>[], {
      priority: first.priority as JobPriority,
    });
  }

  private async enqueue(job: StagedJob): Promise<void> {
    const delayMs = job.availableAt.getTime() - Date.now();
    // The payload is re-validated against the job's contract by add().
    await this.queues.add(job.jobName, job.payload as unknown as JobPayload<typeof job.jobName>, {
      jobId: job.jobId,
      priority: job.priority as JobPriority,
      delayMs: delayMs > 0 ? delayMs : undefined,
    });
  }
}

/** One SQL statement with its own parameters ($1, $2, ...). */
export interface SqlStatement {
  sql: string;
  params: readonly unknown[];
}

/** Shifts `$n` placeholders by `offset`, so statements can share one parameter list. */
function renumber(sql: string, offset: number): string {
  return offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
