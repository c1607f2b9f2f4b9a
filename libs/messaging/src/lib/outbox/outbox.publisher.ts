import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxRepository, OutboxRow, SqlStatement } from '@mq/db';
import { LostJobSource, MessageQueueService, StagedJobRecord } from '@mq/queue';
import { JobName, JobPayload, JobPriority, QUEUE_POLICY, jobIdFor, queueOfJob, traceparentsOf } from '@mq/queue-contracts';
import { spanOptionsFor, traced, tracingEnabled } from '@mq/tracing';
import { SpanKind } from '@opentelemetry/api';

/** A job as staged in the outbox: its row's id (empty when the job id was staged before), job id, name, payload, priority and due time. */
export type StagedJob = OutboxRow;

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
    private readonly outbox: OutboxRepository,
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
   * Records jobs of any kinds inside the caller's transaction, all in one statement with the
   * `alongside` statements (from the repositories): the caller's writes and its follow-up jobs
   * in one round trip. A job already staged comes back with an empty id (not to publish).
   */
  async stageAll(manager: EntityManager, entries: readonly StageEntry[], alongside: readonly SqlStatement[] = []): Promise<StagedJob[]> {
    const rows = entries.map(({ name, payload, options }) => this.prepare(name, payload as JobPayload<typeof name>, options));
    const ids = await this.outbox.stage(
      manager,
      rows.map((row) => ({ ...row, queue: queueOfJob(row.jobName) })),
      alongside,
    );
    return rows.map((row) => ({ id: ids.get(row.jobId) ?? '', ...row }));
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
    await this.outbox
      .markPublished(ids)
      .catch((error: unknown) => this.logger.warn({ err: errorMessage(error), count: ids.length }, 'could not mark outbox rows published'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushMarks();
  }

  /**
   * The relay's step: publishes unpublished rows older than `graceMs` (younger ones are the
   * fast path's), locking them so concurrent relays share the work. Returns how many it published.
   */
  async relayPending(graceMs: number, limit: number): Promise<number> {
    const { published, failed } = await this.outbox.relayUnpublished(graceMs, limit, async (rows) => {
      const outcome = { published: [] as string[], failed: [] as { id: string; error: string }[] };
      for (const row of rows) {
        try {
          // Tracing on: the relay's publish joins the traces the row's job carries.
          if (tracingEnabled())
            await traced(`outbox relay ${row.jobName}`, spanOptionsFor(traceparentsOf(row.payload), SpanKind.PRODUCER), () => this.enqueue(row));
          else await this.enqueue(row);
          outcome.published.push(row.id);
        } catch (error) {
          outcome.failed.push({ id: row.id, error: errorMessage(error) });
        }
      }
      return outcome;
    });
    if (failed.length > 0) this.logger.warn({ failed: failed.length, err: failed[0]?.error }, 'outbox relay could not publish');
    return published.length;
  }

  /**
   * After Redis lost its data (a crash with nothing persisted), jobs published in the window
   * and not finished by then are gone: marks their rows unpublished again, so the relay
   * publishes them once more. One that finished but was not recorded yet runs again, which
   * every processor absorbs.
   */
  republishUnfinished(windowMs: number): Promise<number> {
    return this.outbox.republishUnfinished(windowMs);
  }

  /** The job staged under this id, to put back in Redis a job Redis lost (see JobHandlerRegistry). */
  async findJob(jobId: string): Promise<StagedJobRecord | undefined> {
    const row = await this.outbox.findJob(jobId);
    return row ? { name: row.jobName, payload: row.payload, priority: row.priority } : undefined;
  }

  /** Deletes published rows older than the given age, in one bounded statement (see OutboxRepository.prunePublished). */
  prunePublished(olderThanMs: number, limit = 10_000): Promise<number> {
    return this.outbox.prunePublished(olderThanMs, limit);
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

  private async enqueue(job: Omit<StagedJob, 'payload'> & { payload: object }): Promise<void> {
    const delayMs = job.availableAt.getTime() - Date.now();
    // The payload is re-validated against the job's contract by add().
    await this.queues.add(job.jobName, job.payload as unknown as JobPayload<typeof job.jobName>, {
      jobId: job.jobId,
      priority: job.priority as JobPriority,
      delayMs: delayMs > 0 ? delayMs : undefined,
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
