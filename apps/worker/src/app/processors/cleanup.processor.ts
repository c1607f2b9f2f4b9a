import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CleanupType, JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

type CleanupTarget = Exclude<CleanupType, 'all'>;

export interface CleanupResult {
  dryRun: boolean;
  /** Rows deleted, or that would be deleted in a dry run, per kind. */
  counts: Partial<Record<CleanupTarget, number>>;
}

/** The rows each kind removes; `$1` is the retention in days where the rule uses it. */
const TARGETS: Readonly<Record<CleanupTarget, { table: string; where: string; usesRetention: boolean }>> = {
  old_messages: { table: 'messages', where: 'created_at < now() - make_interval(days => $1)', usesRetention: true },
  deleted_messages: { table: 'messages', where: 'deleted_at IS NOT NULL', usesRetention: false },
  deleted_conversations: { table: 'conversations', where: 'deleted_at IS NOT NULL', usesRetention: false },
  expired_attachments: { table: 'attachments', where: 'expires_at < now()', usesRetention: false },
};

const ORDER: readonly CleanupTarget[] = ['deleted_conversations', 'deleted_messages', 'old_messages', 'expired_attachments'];

/** `cleanup-messages`: retention and purge of soft-deleted rows, in bounded batches, with a dry run. */
@Injectable()
export class CleanupProcessor {
  private readonly logger = new Logger(CleanupProcessor.name);

  constructor(private readonly dataSource: DataSource) {}

  @JobHandler(JOB.CLEANUP_MESSAGES)
  async cleanup(job: HandledJob<'cleanup-messages'>): Promise<CleanupResult> {
    const { cleanupType, retentionDays, batchSize, dryRun } = job.data;
    const targets = cleanupType === 'all' ? ORDER : [cleanupType];
    const counts: CleanupResult['counts'] = {};
    for (const [index, target] of targets.entries()) {
      counts[target] = dryRun
        ? await this.count(target, retentionDays)
        : await this.deleteInBatches(target, retentionDays, batchSize);
      await job.progress(Math.round(((index + 1) / targets.length) * 100));
    }
    this.logger.log({ jobId: job.id, dryRun, counts }, 'cleanup finished');
    return { dryRun, counts };
  }

  private async count(target: CleanupTarget, retentionDays: number): Promise<number> {
    const { table, where, usesRetention } = TARGETS[target];
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
      usesRetention ? [retentionDays] : [],
    );
    return rows[0]?.n ?? 0;
  }

  /** Deletes by id in batches: many short transactions instead of one long lock on a big purge. */
  private async deleteInBatches(target: CleanupTarget, retentionDays: number, batchSize: number): Promise<number> {
    const { table, where, usesRetention } = TARGETS[target];
    const params = usesRetention ? [retentionDays] : [];
    const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT $${params.length + 1})`;
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.dataSource.query(sql, [...params, batchSize])) as [unknown, number];
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
