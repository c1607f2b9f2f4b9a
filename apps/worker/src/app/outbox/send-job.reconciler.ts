import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryRepository, OutboxRepository } from '@mq/db';
import { BullConnectionFactory, QueueRegistry } from '@mq/queue';
import { QUEUE } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { redisEpochKey, REDIS_EPOCH_RECOVERING } from './redis-epoch';

const PAGE = 500;

/** Why deliveries whose job vanished are failed: what an operator did, or what happened to Redis. */
export const JOB_GONE_REASON = 'its job left the queue before it finished (removed, or the queue was emptied or obliterated)';

type JobEnd = { kind: 'pending' } | { kind: 'completed' } | { kind: 'failed'; reason: string; attempts: number } | { kind: 'gone' };

export interface ReconcileResult {
  /** Send jobs seen to have ended (any way) and marked finished in the outbox. */
  finished: number;
  /** Deliveries marked failed because their job failed or vanished without recording it. */
  deliveriesFailed: number;
}

/**
 * Makes Postgres agree with how each send job ended, whatever the way. The worker records a
 * completed or failed job as it happens; what it cannot see is a job that leaves Redis without
 * running to the end (removed from Bull Board, the queue emptied or obliterated) or one that
 * ended while no worker listened. Those would leave deliveries `queued` forever, invisible to
 * operators. So every send job published longer ago than `reconcileAfterMs` and not yet seen
 * to end is looked up in Redis: still there and unfinished, it is left alone; finished, its
 * outcome is written; gone, its deliveries still queued become `failed` (retryable from the
 * console) with the reason. Rows are locked with SKIP LOCKED, so workers share the work.
 */
@Injectable()
export class SendJobReconciler {
  private readonly logger = new Logger(SendJobReconciler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly connections: BullConnectionFactory,
    private readonly deliveries: DeliveryRepository,
    private readonly outboxRows: OutboxRepository,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { finished: 0, deliveriesFailed: 0 };
    // Redis came back empty and its jobs are being published again: nothing is gone for good yet.
    const epoch = await this.connections.commandConnection().get(redisEpochKey(this.config.queue.prefix));
    if (epoch === null || epoch === REDIS_EPOCH_RECOVERING) return result;
    let afterId = '0';
    for (;;) {
      const page = await this.reconcilePage(afterId, result);
      if (page.lastId === undefined) break;
      afterId = page.lastId;
      if (page.size < PAGE) break;
    }
    if (result.deliveriesFailed > 0) this.logger.warn(result, 'send jobs ended without their deliveries recorded: marked failed');
    return result;
  }

  private async reconcilePage(afterId: string, result: ReconcileResult): Promise<{ size: number; lastId?: string }> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.outboxRows.lockUnfinishedSends(manager, afterId, this.config.outbox.reconcileAfterMs, PAGE);
      if (rows.length === 0) return { size: 0 };
      const ends = await this.jobEnds(rows.map((row) => row.jobId));
      const finished: string[] = [];
      for (const [index, row] of rows.entries()) {
        const end = ends[index] as JobEnd;
        if (end.kind === 'pending') continue;
        finished.push(row.id);
        if (end.kind === 'failed')
          result.deliveriesFailed += await this.deliveries.recordSendJobFailure({
            messageIds: row.messageIds,
            attempts: end.attempts,
            reason: end.reason,
            final: true,
          });
        if (end.kind === 'gone') {
          const failed = await this.deliveries.recordSendJobFailure({ messageIds: row.messageIds, attempts: 0, reason: JOB_GONE_REASON, final: true });
          result.deliveriesFailed += failed;
          if (failed > 0) this.logger.warn({ jobId: row.jobId, deliveries: failed }, 'a send job left the queue unfinished: its deliveries are failed');
        }
      }
      await this.outboxRows.markFinished(manager, finished);
      result.finished += finished.length;
      return { size: rows.length, lastId: rows[rows.length - 1]?.id };
    });
  }

  /** How each job stands in Redis, in one round trip: its hash's end fields, and whether the failed set holds it. */
  private async jobEnds(jobIds: readonly string[]): Promise<JobEnd[]> {
    const queue = this.queues.get(QUEUE.DELIVERY);
    const pipeline = queue.client.pipeline();
    for (const jobId of jobIds) {
      pipeline.hmget(queue.toKey(jobId), 'name', 'timestamp', 'processedOn', 'finishedOn', 'failedReason', 'attemptsMade');
      pipeline.zscore(queue.toKey('failed'), jobId);
    }
    const replies = (await pipeline.exec()) ?? [];
    return jobIds.map((_, index) => {
      const [hashError, fields] = replies[index * 2] ?? [];
      const [setError, failedScore] = replies[index * 2 + 1] ?? [];
      if (hashError || setError) throw hashError ?? setError;
      // A hash has fields while its job exists (a stub Redis left of a lost job has processedOn).
      if ((fields as (string | null)[]).every((field) => field === null)) return { kind: 'gone' };
      const [, , , finishedOn, failedReason, attemptsMade] = fields as (string | null)[];
      if (finishedOn === null) return { kind: 'pending' };
      if (failedScore === null) return { kind: 'completed' };
      return { kind: 'failed', reason: failedReason ?? 'failed', attempts: Number(attemptsMade ?? 0) };
    });
  }
}
