import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import type { FailedDeliveriesPage, FailedDeliveryGroup, RetryDeliveriesResponse } from '@mq/messaging-contracts';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '@mq/queue';
import { JOB, QUEUE, jobIdFor } from '@mq/queue-contracts';
import { AuditLogRepository, DeliveryRepository } from '@mq/db';
import { OutboxPublisher, StageEntry } from '@mq/messaging';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { JobHistoryWriter } from './job-history.writer';
import { decodeCursor, encodeCursor } from './cursor.query';
import { FailedDeliveriesQueryDto, RetryDeliveriesDto } from './failed-deliveries.dto';

@Controller('deliveries')
@Roles('admin')
export class FailedDeliveriesController {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queues: QueueRegistry,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxPublisher,
    private readonly audit: AuditLogRepository,
    private readonly history: JobHistoryWriter,
  ) {}

  @ApiResult(HttpStatus.OK, 'FailedDeliveriesPage')
  @Get('failed')
  async failed(@Query() query: FailedDeliveriesQueryDto): Promise<FailedDeliveriesPage> {
    const page = await this.deliveries.failedPage({
      queue: query.queue,
      reason: query.reason,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      batchId: query.batchId,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    return { deliveries: page.items, nextCursor: page.next && encodeCursor(page.next) };
  }

  /** Failed deliveries by cause, the most recently seen first (at most 100 causes). */
  @ApiResult(HttpStatus.OK, ['FailedDeliveryGroup'], 'Each cause with its count, first and last seen, a sample, and the reason filter that lists it')
  @Get('failed/groups')
  groups(): Promise<FailedDeliveryGroup[]> {
    return this.deliveries.failedGroups(100);
  }

  /**
   * Sends the failed deliveries of these messages again: the failed job is retried in place
   * when Bull still holds it; otherwise a fresh job is staged in the outbox, all of them with
   * the audit entry in one transaction, and published after commit (or by the relay).
   * Recipients already served are never sent to twice (the processor only sends to queued or
   * failed rows).
   */
  @ApiResult(HttpStatus.ACCEPTED, 'RetryDeliveriesResponse')
  @Post('retry')
  @HttpCode(HttpStatus.ACCEPTED)
  async retry(@CurrentUser() user: AuthenticatedUser, @Body() body: RetryDeliveriesDto): Promise<RetryDeliveriesResponse> {
    const messageIds = await this.deliveries.messagesWithFailedDeliveries(body.messageIds);
    const queue = this.queues.get(QUEUE.DELIVERY);
    const jobIds: string[] = [];
    const fresh: StageEntry<'send-message'>[] = [];
    const retriedAt = Date.now();
    for (const messageId of messageIds) {
      const payload = { messageIds: [messageId] };
      const jobId = jobIdFor(JOB.SEND_MESSAGE, payload);
      const existing = await queue.getJob(jobId);
      if (existing && (await existing.getState()) === 'failed') {
        await existing.retry();
        jobIds.push(jobId);
      } else {
        const retryId = `${jobId}:retry-${retriedAt}`;
        fresh.push({ name: JOB.SEND_MESSAGE, payload, options: { jobId: retryId } });
        jobIds.push(retryId);
      }
    }
    const staged = await this.dataSource.transaction(async (manager) => {
      const jobs = await this.outbox.stageAll(manager, fresh);
      await this.audit.record(
        { actorId: user.id, action: 'deliveries.retry', target: QUEUE.DELIVERY, count: jobIds.length, detail: { messageIds: body.messageIds } },
        manager,
      );
      return jobs;
    });
    await this.outbox.publish(staged);
    await this.history.retried(
      messageIds.map((messageId, i) => ({ queue: QUEUE.DELIVERY, jobId: jobIds[i] as string, jobName: JOB.SEND_MESSAGE, data: { messageIds: [messageId] } })),
    );
    return { retried: jobIds.length, jobIds };
  }
}
