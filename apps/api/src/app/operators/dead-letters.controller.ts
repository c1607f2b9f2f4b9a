import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeadLetter } from '@mq/messaging-contracts';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { JobName, JobPayload, isJobName, isQueueName } from '@mq/queue-contracts';
import { AuditLogRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { CursorQueryDto, decodeCursor, encodeCursor } from './cursor.query';
import { JobHistoryWriter } from './job-history.writer';

interface DeadLetterRow {
  id: string;
  queue: string;
  job_id: string;
  job_name: string;
  data: Record<string, unknown>;
  failed_reason: string;
  stacktrace: string | null;
  attempts_made: number;
  failed_at: Date;
  replayed_at: Date | null;
  replay_job_id: string | null;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    queue: row.queue,
    jobId: row.job_id,
    jobName: row.job_name,
    data: row.data,
    failedReason: row.failed_reason,
    stacktrace: row.stacktrace,
    attemptsMade: row.attempts_made,
    failedAt: row.failed_at.toISOString(),
    replayedAt: row.replayed_at?.toISOString() ?? null,
    replayJobId: row.replay_job_id,
  };
}

@Controller('dead-letters')
@Roles('admin')
export class DeadLettersController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly producer: MessageQueueService,
    private readonly audit: AuditLogRepository,
    private readonly history: JobHistoryWriter,
  ) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header (the body is the contract's array). */
  @Get()
  async list(@Query() query: CursorQueryDto, @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown }): Promise<DeadLetter[]> {
    const after = decodeCursor(query.cursor);
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT * FROM dead_letters
       WHERE ($1::timestamptz IS NULL OR (failed_at, id) < ($1::timestamptz, $2::uuid))
       ORDER BY failed_at DESC, id DESC LIMIT $3`,
      [after?.at ?? null, after?.id ?? null, query.limit],
    );
    const last = rows[rows.length - 1];
    if (last && rows.length === query.limit) res.setHeader('x-next-cursor', encodeCursor(last.failed_at, last.id));
    return rows.map(toDeadLetter);
  }

  /**
   * Runs the job again. If Bull still holds the failed job it is retried in place (same id);
   * otherwise a new job is added with the same payload. Processors are idempotent, so a
   * replay never delivers a message twice.
   */
  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  async replay(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<{ jobId: string }> {
    const row = await this.find(id);
    if (!isQueueName(row.queue) || !isJobName(row.job_name)) throw new NotFoundException(`Dead letter ${id} names an unknown queue or job`);
    const existing = await this.queues.get(row.queue).getJob(row.job_id);
    let jobId: string;
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry();
      jobId = row.job_id;
    } else {
      const name: JobName = row.job_name;
      jobId = await this.producer.add(name, row.data as unknown as JobPayload<typeof name>, { jobId: `${row.job_id}:replay-${Date.now()}` });
    }
    await this.dataSource.query(`UPDATE dead_letters SET replayed_at = now(), replay_job_id = $2 WHERE id = $1`, [id, jobId]);
    await this.history.retried([{ queue: row.queue, jobId, jobName: row.job_name, data: row.data }]);
    await this.audit.record({ actorId: user.id, action: 'dead-letter.replay', target: row.job_id, count: 1, detail: { deadLetterId: id, jobId } });
    return { jobId };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async discard(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const row = await this.find(id);
    await this.dataSource.query(`DELETE FROM dead_letters WHERE id = $1`, [id]);
    await this.audit.record({ actorId: user.id, action: 'dead-letter.discard', target: row.job_id, count: 1, detail: { deadLetterId: id } });
  }

  private async find(id: string): Promise<DeadLetterRow> {
    const [row] = (await this.dataSource.query(`SELECT * FROM dead_letters WHERE id = $1`, [id])) as DeadLetterRow[];
    if (!row) throw new NotFoundException(`Dead letter ${id} not found`);
    return row;
  }
}
