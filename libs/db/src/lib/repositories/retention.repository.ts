import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CleanupType } from '@mq/queue-contracts';
import { DEAD_LETTER_UNDO_MINUTES } from './dead-letter.repository';

/** One kind of row the retention job removes. */
export type RetentionTarget = Exclude<CleanupType, 'all'>;

/** The rows each kind removes; `$1` is the retention in days where the rule uses it. */
const TARGETS: Readonly<Record<RetentionTarget, { table: string; where: string; usesRetention: boolean }>> = {
  old_messages: { table: 'messages', where: 'created_at < now() - make_interval(days => $1)', usesRetention: true },
  deleted_messages: { table: 'messages', where: 'deleted_at IS NOT NULL', usesRetention: false },
  deleted_conversations: { table: 'conversations', where: 'deleted_at IS NOT NULL', usesRetention: false },
  expired_attachments: { table: 'attachments', where: 'expires_at < now()', usesRetention: false },
  // Kept hidden while their discard can still be undone.
  discarded_dead_letters: {
    table: 'dead_letters',
    where: `discarded_at < now() - interval '${DEAD_LETTER_UNDO_MINUTES} minutes'`,
    usesRetention: false,
  },
};

/** Retention and the purge of soft-deleted rows: what is due, and removing it a batch at a time. */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async countDue(target: RetentionTarget, retentionDays: number): Promise<number> {
    const { table, where, usesRetention } = TARGETS[target];
    const [row]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, usesRetention ? [retentionDays] : []);
    return row?.n ?? 0;
  }

  /** Deletes at most `limit` due rows (a short transaction, not one long lock); returns how many. */
  async deleteDue(target: RetentionTarget, retentionDays: number, limit: number): Promise<number> {
    const { table, where, usesRetention } = TARGETS[target];
    const params = usesRetention ? [retentionDays] : [];
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT $${params.length + 1})`,
      [...params, limit],
    );
    return deleted;
  }
}
