import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { keysetTime, positionBefore, timeWithin, toKeysetPage, type KeysetPage, type KeysetPageQuery, type KeysetPosition } from './keyset-page';

export interface AuditRecord {
  /** Null for what no signed-in user did (a lockout of an unknown account, a worker's own job). */
  actorId: string | null;
  /** e.g. `dead-letter.replay`, `queue.pause`, `encryption.rotate.completed` */
  action: string;
  /** what it was done to: a queue, a job id, a dead letter id */
  target: string;
  count?: number;
  /** Ids and counts only: never message content. */
  detail?: Record<string, unknown>;
}

/** The audit page's filters; every one optional, all of them together. */
export interface AuditLogQuery extends KeysetPageQuery {
  actorId?: string;
  /** An action (`queue.pause`) or a family of them (`queue.` matches every queue action). */
  action?: string;
  target?: string;
  /** Entries at or after it. */
  from?: Date;
  /** Entries before it. */
  to?: Date;
}

export interface AuditLogRow {
  id: string;
  actorId: string | null;
  action: string;
  target: string;
  count: number | null;
  detail: Record<string, unknown> | null;
  at: Date;
}

/**
 * The audit log's one reader and writer: every operator action and every system action an
 * operator must be able to find later (a lockout, a key rotation's skipped conversations),
 * in Postgres where it cannot be lost with Redis.
 */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inside the caller's transaction when given its manager: the entry exists exactly when what it records does. */
  async record(entry: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(`INSERT INTO audit_log (actor_id, action, target, count, detail) VALUES ($1, $2, $3, $4, $5)`, [
      entry.actorId,
      entry.action,
      entry.target,
      entry.count ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ]);
  }

  /** Newest first, filtered. */
  async page(query: AuditLogQuery): Promise<KeysetPage<AuditLogRow>> {
    // LIKE with the action's own % and _ escaped: exact, or a family when it ends with a dot.
    const escaped = query.action?.replace(/[\\%_]/g, (c) => `\\${c}`);
    const action = escaped === undefined ? null : escaped.endsWith('.') ? `${escaped}%` : escaped;
    const rows: (AuditLogRow & { position: KeysetPosition })[] = await this.dataSource.query(
      `SELECT id, actor_id AS "actorId", action, target, count, detail, at,
              json_build_object('at', ${keysetTime('at')}, 'id', id) AS position
       FROM audit_log
       WHERE ${positionBefore('at', 'id', '$1', '$2')}
         AND ($4::uuid IS NULL OR actor_id = $4) AND ($5::text IS NULL OR action LIKE $5) AND ($6::text IS NULL OR target = $6)
         AND ${timeWithin('at', '$7', '$8')}
       ORDER BY at DESC, id DESC LIMIT $3`,
      [
        query.after?.at ?? null,
        query.after?.id ?? null,
        query.limit,
        query.actorId ?? null,
        action,
        query.target ?? null,
        query.from ?? null,
        query.to ?? null,
      ],
    );
    return toKeysetPage(rows, query.limit, ({ position: _, ...row }) => row);
  }
}
