import { Controller, Get, Query, Res } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditEntry } from '@mq/messaging-contracts';
import { Roles } from '../auth/auth.decorators';
import { CursorQueryDto, decodeCursor, encodeCursor } from './cursor.query';

interface HeaderSettable {
  setHeader(name: string, value: string): unknown;
}

@Controller('audit')
@Roles('admin')
export class AuditController {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @Get()
  async list(@Query() query: CursorQueryDto, @Res({ passthrough: true }) res: HeaderSettable): Promise<AuditEntry[]> {
    const after = decodeCursor(query.cursor);
    const rows: { id: string; actor_id: string | null; action: string; target: string; count: number | null; at: Date }[] =
      await this.dataSource.query(
        `SELECT id, actor_id, action, target, count, at FROM audit_log
         WHERE ($1::timestamptz IS NULL OR (at, id) < ($1::timestamptz, $2::uuid))
         ORDER BY at DESC, id DESC LIMIT $3`,
        [after?.at ?? null, after?.id ?? null, query.limit],
      );
    const last = rows[rows.length - 1];
    if (last && rows.length === query.limit) res.setHeader('x-next-cursor', encodeCursor(last.at, last.id));
    return rows.map((r) => ({ id: r.id, actorId: r.actor_id, action: r.action, target: r.target, count: r.count, at: r.at.toISOString() }));
  }
}
