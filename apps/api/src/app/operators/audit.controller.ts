import { Controller, Get, HttpStatus, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { AuditEntry } from '@mq/messaging-contracts';
import { AuditLogQuery, AuditLogRepository, AuditLogRow } from '@mq/db';
import { Roles } from '../auth/auth.decorators';
import { ApiResult } from '../openapi/api-result.decorator';
import { AuditExportQueryDto, AuditFilterDto, AuditQueryDto } from './audit.dto';
import { toAuditCsvLine, AUDIT_CSV_HEADER } from './audit-csv.format';
import { decodeCursor, encodeCursor } from './cursor.query';

interface HeaderSettable {
  setHeader(name: string, value: string): unknown;
}

/** Rows per read while exporting: the export streams page by page, never the whole log at once. */
const EXPORT_PAGE = 500;

const toEntry = (row: AuditLogRow): AuditEntry => ({
  id: row.id,
  actorId: row.actorId,
  action: row.action,
  target: row.target,
  count: row.count,
  at: row.at.toISOString(),
});

function filterOf(query: AuditFilterDto): Omit<AuditLogQuery, 'limit'> {
  return {
    actorId: query.actorId,
    action: query.action,
    target: query.target,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

@Controller('audit')
@Roles('admin')
export class AuditController {
  constructor(private readonly auditLog: AuditLogRepository) {}

  /** Newest first, filtered; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @ApiResult(HttpStatus.OK, ['AuditEntry'], "Newest first; the x-next-cursor header holds the next page's cursor")
  @Get()
  async list(@Query() query: AuditQueryDto, @Res({ passthrough: true }) res: HeaderSettable): Promise<AuditEntry[]> {
    const page = await this.auditLog.page({ ...filterOf(query), after: decodeCursor(query.cursor), limit: query.limit });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items.map(toEntry);
  }

  /** Every entry the filters match, newest first, as CSV or a JSON array of AuditEntry: streamed as it is read. */
  // Two media types, which @ApiResult (one JSON body) does not describe.
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'The matching entries as an attachment, newest first',
    content: {
      'text/csv': { schema: { type: 'string', description: 'Header id,at,actor_id,action,target,count; CRLF lines' } },
      'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } } },
    },
  })
  @Get('export')
  export(@Query() query: AuditExportQueryDto): StreamableFile {
    const rows = this.allRows(filterOf(query));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const body = query.format === 'json' ? jsonArray(rows) : csv(rows);
    return new StreamableFile(Readable.from(body), {
      type: query.format === 'json' ? 'application/json' : 'text/csv; charset=utf-8',
      disposition: `attachment; filename="audit-${stamp}.${query.format}"`,
    });
  }

  private async *allRows(filter: Omit<AuditLogQuery, 'limit'>): AsyncGenerator<AuditLogRow> {
    let after: AuditLogQuery['after'];
    do {
      const page = await this.auditLog.page({ ...filter, after, limit: EXPORT_PAGE });
      yield* page.items;
      after = page.next ?? undefined;
    } while (after);
  }
}

async function* csv(rows: AsyncIterable<AuditLogRow>): AsyncGenerator<string> {
  yield AUDIT_CSV_HEADER;
  for await (const row of rows) yield toAuditCsvLine(toEntry(row));
}

async function* jsonArray(rows: AsyncIterable<AuditLogRow>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const row of rows) {
    yield `${first ? '' : ','}\n${JSON.stringify(toEntry(row))}`;
    first = false;
  }
  yield '\n]\n';
}
