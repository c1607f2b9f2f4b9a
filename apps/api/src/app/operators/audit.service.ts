import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditRecord {
  /** Null for what no signed-in user did (a lockout of an unknown account or an address). */
  actorId: string | null;
  /** e.g. `dead-letter.replay`, `queue.pause` */
  action: string;
  /** what it was done to: a queue, a job id, a dead letter id */
  target: string;
  count?: number;
  detail?: Record<string, unknown>;
}

/** Every operator action, written where it cannot be lost with Redis: who, what, which, how many, when. */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (actor_id, action, target, count, detail) VALUES ($1, $2, $3, $4, $5)`,
      [entry.actorId, entry.action, entry.target, entry.count ?? null, entry.detail ? JSON.stringify(entry.detail) : null],
    );
  }
}
