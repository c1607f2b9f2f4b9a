import { Controller, Get, HttpStatus, Query, StreamableFile } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { LedgerAccess, LedgerAccessPage, LedgerVerifyResult } from '@mq/messaging-contracts';
import { AccessLedgerQuery, AccessLedgerRepository, AccessLedgerRow, AuditLogRepository, verifyAccessLedger } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { ApiResult } from '../openapi/api-result.decorator';
import { LEDGER_CSV_HEADER, toLedgerCsvLine } from './ledger-csv.format';
import { LedgerAccessesQueryDto, LedgerFilterDto } from './ledger.dto';

/** Rows per read while exporting: the CSV streams page by page. */
const EXPORT_PAGE = 500;

const toAccess = (row: AccessLedgerRow): LedgerAccess => ({
  seq: row.seq,
  actorId: row.actorId,
  subjectIds: row.subjectIds,
  conversationIds: row.conversationIds,
  messageIds: row.messageIds,
  messageCount: row.messageIds.length,
  via: row.via,
  ip: row.ip,
  userAgent: row.userAgent,
  at: row.at.toISOString(),
});

/** The access ledger, for admins: who read whose messages, its CSV, and the chain's check. */
@Controller('ledger')
@Roles('admin')
export class LedgerController {
  constructor(
    private readonly ledger: AccessLedgerRepository,
    private readonly auditLog: AuditLogRepository,
  ) {}

  /** Newest first. */
  @ApiResult(HttpStatus.OK, 'LedgerAccessPage')
  @Get('accesses')
  async accesses(@Query() query: LedgerAccessesQueryDto): Promise<LedgerAccessPage> {
    const page = await this.ledger.page({ subjectId: query.subjectId, actorId: query.actorId, beforeSeq: query.cursor, limit: query.limit });
    return { accesses: page.items.map(toAccess), nextCursor: page.next };
  }

  /** Every access the filters match, newest first, streamed as read. The export is itself audited (`ledger.export`). */
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'The matching accesses as an attachment, newest first',
    content: { 'text/csv': { schema: { type: 'string', description: `Header ${LEDGER_CSV_HEADER.trim()}; CRLF lines` } } },
  })
  @Get('accesses.csv')
  async exportCsv(@CurrentUser() user: AuthenticatedUser, @Query() query: LedgerFilterDto): Promise<StreamableFile> {
    await this.auditLog.record({
      actorId: user.id,
      action: 'ledger.export',
      target: query.subjectId ?? query.actorId ?? 'all',
      detail: { subjectId: query.subjectId ?? null, actorId: query.actorId ?? null },
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return new StreamableFile(Readable.from(this.csv({ subjectId: query.subjectId, actorId: query.actorId })), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="accesses-${stamp}.csv"`,
    });
  }

  /** Walks the hash chain a page at a time from its first row to its head. */
  @ApiResult(HttpStatus.OK, 'LedgerVerifyResult')
  @Get('verify')
  verify(): Promise<LedgerVerifyResult> {
    return verifyAccessLedger(this.ledger);
  }

  private async *csv(filter: Omit<AccessLedgerQuery, 'limit'>): AsyncGenerator<string> {
    yield LEDGER_CSV_HEADER;
    let beforeSeq: string | undefined;
    do {
      const page = await this.ledger.page({ ...filter, beforeSeq, limit: EXPORT_PAGE });
      for (const row of page.items) yield toLedgerCsvLine(toAccess(row));
      beforeSeq = page.next ?? undefined;
    } while (beforeSeq);
  }
}
