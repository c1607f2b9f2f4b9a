import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Get, Query, Res, HttpStatus } from '@nestjs/common';
import type { AuditEntry } from '@mq/messaging-contracts';
import { AuditLogRepository } from '@mq/db';
import { Roles } from '../auth/auth.decorators';
import { CursorQueryDto } from './cursor-query.dto';
import { decodeCursor, encodeCursor } from './cursor.query';

interface HeaderSettable {
  setHeader(name: string, value: string): unknown;
}

@Controller('audit')
@Roles('admin')
export class AuditController {
  constructor(private readonly auditLog: AuditLogRepository) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @ApiResult(HttpStatus.OK, ['AuditEntry'], "Newest first; the x-next-cursor header holds the next page's cursor")
  @Get()
  async list(@Query() query: CursorQueryDto, @Res({ passthrough: true }) res: HeaderSettable): Promise<AuditEntry[]> {
    const page = await this.auditLog.page({ after: decodeCursor(query.cursor), limit: query.limit });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items.map((r) => ({ id: r.id, actorId: r.actorId, action: r.action, target: r.target, count: r.count, at: r.at.toISOString() }));
  }
}
