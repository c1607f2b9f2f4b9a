import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { DeadLetter, DeadLetterReplayResponse } from '@mq/messaging-contracts';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '@mq/queue';
import { JobName, isJobName, isQueueName, validateJobPayload } from '@mq/queue-contracts';
import { AuditLogRepository, DeadLetterRepository } from '@mq/db';
import { OutboxPublisher } from '@mq/messaging';
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
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxPublisher,
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
   * otherwise a new job with the same payload is staged in the outbox with the letter's replay
   * mark and the audit entry, in one transaction, and published after commit (or by the
   * relay). Processors are idempotent, so a replay never delivers a message twice.
   */
  @ApiResult(HttpStatus.ACCEPTED, 'DeadLetterReplayResponse')
  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  async replay(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterReplayResponse> {
    const letter = await this.find(id);
    if (!isQueueName(letter.queue) || !isJobName(letter.jobName)) throw new NotFoundException(`Dead letter ${id} names an unknown queue or job`);
    const audited = (jobId: string) => ({
      actorId: user.id,
      action: 'dead-letter.replay',
      target: letter.jobId,
      count: 1,
      detail: { deadLetterId: id, jobId },
    });
    const existing = await this.queues.get(letter.queue).getJob(letter.jobId);
    let jobId: string;
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry();
      jobId = letter.jobId;
      await this.deadLetters.markReplayed(id, jobId);
      await this.audit.record(audited(jobId));
    } else {
      const name: JobName = letter.jobName;
      const payload = validateJobPayload(name, letter.data);
      const staged = await this.dataSource.transaction(async (manager) => {
        const job = await this.outbox.stage(manager, name, payload, { jobId: `${letter.jobId}:replay-${Date.now()}` });
        await this.deadLetters.markReplayed(id, job.jobId, manager);
        await this.audit.record(audited(job.jobId), manager);
        return job;
      });
      await this.outbox.publish([staged]);
      jobId = staged.jobId;
    }
    await this.history.retried([{ queue: letter.queue, jobId, jobName: letter.jobName, data: letter.data }]);
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
