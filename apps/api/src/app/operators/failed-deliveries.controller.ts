import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import type { FailedDeliveriesPage } from '@mq/messaging-contracts';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { JOB, QUEUE, jobIdFor } from '@mq/queue-contracts';
import { AuditLogRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { IsTimestamp } from '../input/timestamp.validator';
import { JobHistoryWriter } from './job-history.writer';
import { decodeCursor, encodeCursor } from './cursor.query';

export class FailedDeliveriesQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit = 50;
  @IsOptional() @IsString() cursor?: string;
  /** Deliveries move on the delivery queue (direct sends) or the batch queue (fan-outs). */
  @IsOptional() @IsIn([QUEUE.DELIVERY, QUEUE.BATCH]) queue?: string;
  /** Case-insensitive substring of the failure reason. */
  @IsOptional() @IsString() @MaxLength(200) reason?: string;
  @IsOptional() @IsTimestamp() from?: string;
  @IsOptional() @IsTimestamp() to?: string;
}

export class RetryDeliveriesDto {
  @ArrayMinSize(1) @ArrayMaxSize(1000) @ArrayUnique() @IsUUID('all', { each: true }) messageIds!: string[];
}

@Controller('deliveries')
@Roles('admin')
export class FailedDeliveriesController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly producer: MessageQueueService,
    private readonly audit: AuditLogRepository,
    private readonly history: JobHistoryWriter,
  ) {}

  @Get('failed')
  async failed(@Query() query: FailedDeliveriesQueryDto): Promise<FailedDeliveriesPage> {
    const after = decodeCursor(query.cursor);
    const rows: {
      message_id: string;
      conversation_id: string;
      recipient_id: string;
      failure_reason: string | null;
      attempts: number;
      job_id: string | null;
      failed_at: Date;
      cursor_id: string;
    }[] = await this.dataSource.query(
      `SELECT d.message_id, m.conversation_id, d.recipient_id, d.failure_reason, d.attempts, d.job_id, d.failed_at,
              d.message_id || ':' || d.recipient_id AS cursor_id
       FROM message_deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.status = 'failed'
         AND ($1::text IS NULL OR ($1 = 'batch-message-sending') = (d.job_id LIKE 'batch:%'))
         AND ($2::text IS NULL OR d.failure_reason ILIKE '%' || $2 || '%')
         AND ($3::timestamptz IS NULL OR d.failed_at >= $3) AND ($4::timestamptz IS NULL OR d.failed_at < $4)
         AND ($5::timestamptz IS NULL OR (d.failed_at, d.message_id || ':' || d.recipient_id) < ($5::timestamptz, $6::text))
       ORDER BY d.failed_at DESC, cursor_id DESC LIMIT $7`,
      [query.queue ?? null, query.reason ?? null, query.from ?? null, query.to ?? null, after?.at ?? null, after?.id ?? null, query.limit],
    );
    const last = rows[rows.length - 1];
    return {
      deliveries: rows.map((r) => ({
        messageId: r.message_id,
        conversationId: r.conversation_id,
        recipientId: r.recipient_id,
        failureReason: r.failure_reason,
        attempts: r.attempts,
        jobId: r.job_id,
        failedAt: r.failed_at.toISOString(),
      })),
      nextCursor: last && rows.length === query.limit ? encodeCursor(last.failed_at, last.cursor_id) : null,
    };
  }

  /**
   * Sends the failed deliveries of these messages again: the failed job is retried in place
   * when Bull still holds it, otherwise a fresh job is added. Recipients already served are
   * never sent to twice (the processor only sends to queued or failed rows).
   */
  @Post('retry')
  @HttpCode(HttpStatus.ACCEPTED)
  async retry(@CurrentUser() user: AuthenticatedUser, @Body() body: RetryDeliveriesDto): Promise<{ retried: number; jobIds: string[] }> {
    const messages: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.id FROM messages m
       JOIN message_deliveries d ON d.message_id = m.id AND d.status = 'failed'
       WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL`,
      [body.messageIds],
    );
    const queue = this.queues.get(QUEUE.DELIVERY);
    const jobIds: string[] = [];
    const retried = [];
    for (const message of messages) {
      const payload = { messageIds: [message.id] };
      const jobId = jobIdFor(JOB.SEND_MESSAGE, payload);
      const existing = await queue.getJob(jobId);
      if (existing && (await existing.getState()) === 'failed') {
        await existing.retry();
        jobIds.push(jobId);
      } else {
        jobIds.push(await this.producer.addMessageDeliveryJob(payload, { jobId: `${jobId}:retry-${Date.now()}` }));
      }
      retried.push({ queue: QUEUE.DELIVERY, jobId: jobIds[jobIds.length - 1] as string, jobName: JOB.SEND_MESSAGE, data: payload });
    }
    await this.history.retried(retried);
    await this.audit.record({ actorId: user.id, action: 'deliveries.retry', target: QUEUE.DELIVERY, count: jobIds.length, detail: { messageIds: body.messageIds } });
    return { retried: jobIds.length, jobIds };
  }
}
