import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { DeadLetter, DeadLetterReplayResponse } from '@mq/messaging-contracts';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { JobName, JobPayload, isJobName, isQueueName } from '@mq/queue-contracts';
import { AuditLogRepository, DeadLetterRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { CursorQueryDto } from './cursor-query.dto';
import { decodeCursor, encodeCursor } from './cursor.query';
import { JobHistoryWriter } from './job-history.writer';

@Controller('dead-letters')
@Roles('admin')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly queues: QueueRegistry,
    private readonly producer: MessageQueueService,
    private readonly audit: AuditLogRepository,
    private readonly history: JobHistoryWriter,
  ) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @ApiResult(HttpStatus.OK, ['DeadLetter'], "Newest first; the x-next-cursor header holds the next page's cursor")
  @Get()
  async list(@Query() query: CursorQueryDto, @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown }): Promise<DeadLetter[]> {
    const page = await this.deadLetters.page({ after: decodeCursor(query.cursor), limit: query.limit });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items;
  }

  /**
   * Runs the job again. If Bull still holds the failed job it is retried in place (same id);
   * otherwise a new job is added with the same payload. Processors are idempotent, so a
   * replay never delivers a message twice.
   */
  @ApiResult(HttpStatus.ACCEPTED, 'DeadLetterReplayResponse')
  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  async replay(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterReplayResponse> {
    const letter = await this.find(id);
    if (!isQueueName(letter.queue) || !isJobName(letter.jobName)) throw new NotFoundException(`Dead letter ${id} names an unknown queue or job`);
    const existing = await this.queues.get(letter.queue).getJob(letter.jobId);
    let jobId: string;
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry();
      jobId = letter.jobId;
    } else {
      const name: JobName = letter.jobName;
      jobId = await this.producer.add(name, letter.data as unknown as JobPayload<typeof name>, { jobId: `${letter.jobId}:replay-${Date.now()}` });
    }
    await this.deadLetters.markReplayed(id, jobId);
    await this.history.retried([{ queue: letter.queue, jobId, jobName: letter.jobName, data: letter.data }]);
    await this.audit.record({ actorId: user.id, action: 'dead-letter.replay', target: letter.jobId, count: 1, detail: { deadLetterId: id, jobId } });
    return { jobId };
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async discard(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const letter = await this.find(id);
    if (!(await this.deadLetters.delete(id))) throw new NotFoundException(`Dead letter ${id} not found`);
    await this.audit.record({ actorId: user.id, action: 'dead-letter.discard', target: letter.jobId, count: 1, detail: { deadLetterId: id } });
  }

  private async find(id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.find(id);
    if (!letter) throw new NotFoundException(`Dead letter ${id} not found`);
    return letter;
  }
}
