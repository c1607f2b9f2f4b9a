import { Injectable, Logger } from '@nestjs/common';
import { RetentionRepository, RetentionTarget } from '@mq/db';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

export interface CleanupResult {
  dryRun: boolean;
  /** Rows deleted, or that would be deleted in a dry run, per kind. */
  counts: Partial<Record<RetentionTarget, number>>;
}

const ORDER: readonly RetentionTarget[] = ['deleted_conversations', 'deleted_messages', 'old_messages', 'expired_attachments', 'discarded_dead_letters'];

/** `cleanup-messages`: retention and purge of soft-deleted rows, in bounded batches, with a dry run. */
@Injectable()
export class CleanupProcessor {
  private readonly logger = new Logger(CleanupProcessor.name);

  constructor(private readonly retention: RetentionRepository) {}

  @JobHandler(JOB.CLEANUP_MESSAGES)
  async cleanup(job: HandledJob<'cleanup-messages'>): Promise<CleanupResult> {
    const { cleanupType, retentionDays, batchSize, dryRun } = job.data;
    const targets = cleanupType === 'all' ? ORDER : [cleanupType];
    const counts: CleanupResult['counts'] = {};
    for (const [index, target] of targets.entries()) {
      counts[target] = dryRun ? await this.retention.countDue(target, retentionDays) : await this.deleteInBatches(target, retentionDays, batchSize);
      await job.progress(Math.round(((index + 1) / targets.length) * 100));
    }
    this.logger.log({ jobId: job.id, dryRun, counts }, 'cleanup finished');
    return { dryRun, counts };
  }

  /** Deletes by id in batches: many short transactions instead of one long lock on a big purge. */
  private async deleteInBatches(target: RetentionTarget, retentionDays: number, batchSize: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.retention.deleteDue(target, retentionDays, batchSize);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
