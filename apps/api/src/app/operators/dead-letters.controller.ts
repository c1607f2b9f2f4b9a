import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type {
  DeadLetter,
  DeadLetterDiscardResponse,
  DeadLetterGroup,
  DeadLetterGroupReplayResponse,
  DeadLetterReplayResponse,
  DeadLetterRestoreResponse,
  DryRunResponse,
} from '@mq/messaging-contracts';
import { AuditLogRepository, DeadLetterRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { FingerprintPipe } from './fingerprint.pipe';
import { decodeCursor, encodeCursor } from './cursor.query';
import { DeadLetterGroupsQueryDto, DeadLetterListQueryDto } from './dead-letters.dto';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import { DryRunDto } from './queue-bulk.dto';

type StatusSetter = { status(code: number): unknown; setHeader(name: string, value: string): unknown };

@Controller('dead-letters')
@Roles('admin')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly replays: DeadLetterReplayService,
    private readonly audit: AuditLogRepository,
  ) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @ApiResult(HttpStatus.OK, ['DeadLetter'], "Newest first; the x-next-cursor header holds the next page's cursor")
  @Get()
  async list(@Query() query: DeadLetterListQueryDto, @Res({ passthrough: true }) res: StatusSetter): Promise<DeadLetter[]> {
    const page = await this.deadLetters.page({ after: decodeCursor(query.cursor), limit: query.limit, fingerprint: query.fingerprint });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items;
  }

  @ApiResult(HttpStatus.OK, ['DeadLetterGroup'], 'Live dead letters by cause, the most recently seen first')
  @Get('groups')
  groups(@Query() query: DeadLetterGroupsQueryDto): Promise<DeadLetterGroup[]> {
    return this.deadLetters.groups(query.limit);
  }

  @ApiResult(HttpStatus.ACCEPTED, 'DeadLetterReplayResponse')
  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  async replay(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterReplayResponse> {
    return { jobId: await this.replays.replayOne(user.id, await this.find(id)) };
  }

  /** 202 {replayed} — or 200 {dryRun, matched}: the group's letters not replayed yet, nothing changed. */
  @ApiResult(HttpStatus.ACCEPTED, 'DeadLetterGroupReplayResponse')
  @ApiResult(HttpStatus.OK, 'DryRunResponse', 'dryRun: how many letters would be replayed; nothing changed')
  @Post('groups/:fingerprint/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  async replayGroup(
    @CurrentUser() user: AuthenticatedUser,
    @Param('fingerprint', FingerprintPipe) fingerprint: string,
    @Body() body: DryRunDto,
    @Res({ passthrough: true }) res: StatusSetter,
  ): Promise<DeadLetterGroupReplayResponse | DryRunResponse> {
    if (body.dryRun) {
      res.status(HttpStatus.OK);
      return { dryRun: true, matched: await this.deadLetters.countGroup(fingerprint, true) };
    }
    await this.requireGroup(fingerprint);
    return { replayed: await this.replays.replayGroup(user.id, fingerprint) };
  }

  /** Hides every live letter of the group; `POST /dead-letters/discards/:discardId/restore` undoes it for a few minutes. */
  @ApiResult(HttpStatus.OK, { oneOf: ['DeadLetterDiscardResponse', 'DryRunResponse'] })
  @Post('groups/:fingerprint/discard')
  @HttpCode(HttpStatus.OK)
  async discardGroup(
    @CurrentUser() user: AuthenticatedUser,
    @Param('fingerprint', FingerprintPipe) fingerprint: string,
    @Body() body: DryRunDto,
  ): Promise<DeadLetterDiscardResponse | DryRunResponse> {
    if (body.dryRun) return { dryRun: true, matched: await this.deadLetters.countGroup(fingerprint, false) };
    await this.requireGroup(fingerprint);
    const discard = await this.deadLetters.discardGroup(fingerprint);
    await this.audit.record({
      actorId: user.id,
      action: 'dead-letter.discard-group',
      target: fingerprint,
      count: discard.discarded,
      detail: { fingerprint, discardId: discard.discardId },
    });
    return { discarded: discard.discarded, discardId: discard.discardId, undoUntil: discard.undoUntil.toISOString() };
  }

  @ApiResult(HttpStatus.OK, 'DeadLetterRestoreResponse')
  @Post('discards/:discardId/restore')
  @HttpCode(HttpStatus.OK)
  async restore(@CurrentUser() user: AuthenticatedUser, @Param('discardId', ParseUUIDPipe) discardId: string): Promise<DeadLetterRestoreResponse> {
    const restored = await this.deadLetters.restore(discardId);
    if (restored === 0)
      throw new NotFoundException(`Nothing to restore for discard ${discardId}: it is unknown, already restored, or its undo window has passed`);
    await this.audit.record({ actorId: user.id, action: 'dead-letter.restore', target: discardId, count: restored, detail: { discardId } });
    return { restored };
  }

  /** Hidden at once, restorable like a group discard (its id is in the audit entry). */
  @ApiResult(HttpStatus.NO_CONTENT)
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async discard(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const letter = await this.find(id);
    const discard = await this.deadLetters.discard(id);
    if (!discard) throw new NotFoundException(`Dead letter ${id} not found`);
    await this.audit.record({
      actorId: user.id,
      action: 'dead-letter.discard',
      target: letter.jobId,
      count: 1,
      detail: { deadLetterId: id, discardId: discard.discardId },
    });
  }

  /** A bulk action on a cause with no live letter is a 404, and writes nothing (not even an audit entry). */
  private async requireGroup(fingerprint: string): Promise<void> {
    if ((await this.deadLetters.countGroup(fingerprint, false)) === 0) throw new NotFoundException(`No dead letters with fingerprint ${fingerprint}`);
  }

  private async find(id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.find(id);
    if (!letter) throw new NotFoundException(`Dead letter ${id} not found`);
    return letter;
  }
}
