import { ApiResult } from '../openapi/api-result.decorator';
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Job } from 'bull';
import type {
  CleanQueueResponse,
  DryRunResponse,
  JobDetail,
  JobState,
  JobsPage,
  PromoteJobsResponse,
  QueueHealthReport,
  QueueMetrics,
  RetryFailedResponse,
  QueuePauseResponse,
} from '@mq/messaging-contracts';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { QueueName, isQueueName } from '@mq/queue-contracts';
import { AuditLogRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { JobHistoryWriter } from './job-history.writer';
import { CleanQueueDto, DryRunDto, ListJobsQueryDto } from './queue-bulk.dto';
import { QueueBulkService } from './queue-bulk.service';

interface StatusSettable {
  status(code: number): unknown;
}

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

export async function toJobDetail(queue: QueueName, read: Job): Promise<JobDetail> {
  const state = (await read.getState()) as JobState;
  // The job's hash was read before its state: a job that finished in between (its hash has no
  // finishedOn yet) is read again, so a finished state always comes with its result or reason.
  const finished = state === 'completed' || state === 'failed';
  const job = finished && !read.finishedOn ? ((await read.queue.getJob(read.id)) ?? read) : read;
  return {
    id: String(job.id),
    queue,
    name: job.name,
    state,
    progress: job.progress() as JobDetail['progress'],
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? null,
    stacktrace: job.stacktrace ?? [],
    // Payloads are ids only (the contracts forbid content), so they can be shown as they are.
    data: job.data as Record<string, unknown>,
    returnvalue: job.returnvalue ?? null,
    timestamp: new Date(job.timestamp).toISOString(),
    processedOn: iso(job.processedOn),
    finishedOn: iso(job.finishedOn),
  };
}

function queueNamed(name: string): QueueName {
  if (!isQueueName(name)) throw new NotFoundException(`Unknown queue ${name}`);
  return name;
}

/** The queue endpoints (apps/api/openapi.json): metrics, health, pause/resume, a job by id and its retry. */
@Controller()
@Roles('admin')
export class QueueOperationsController {
  constructor(
    private readonly producer: MessageQueueService,
    private readonly queues: QueueRegistry,
    private readonly audit: AuditLogRepository,
    private readonly bulk: QueueBulkService,
    private readonly history: JobHistoryWriter,
  ) {}

  @ApiResult(HttpStatus.OK, 'QueueMetrics')
  @Get(['queue/metrics', 'messages/queue/metrics'])
  metrics(): Promise<QueueMetrics> {
    return this.producer.getQueueMetrics();
  }

  @ApiResult(HttpStatus.OK, 'QueueHealthReport')
  @Get('queue/health')
  async health(): Promise<QueueHealthReport> {
    const report = await this.producer.getQueuesHealth();
    return {
      status: report.status,
      queues: Object.fromEntries(
        Object.entries(report.queues).map(([name, q]) => [
          name,
          { status: q.status, failureRate: q.failureRate, waiting: q.waiting, oldestWaitingMs: q.oldestWaitingMs, paused: q.paused },
        ]),
      ),
    };
  }

  @ApiResult(HttpStatus.OK, 'QueuePauseResponse')
  @Post('queue/:name/pause')
  @HttpCode(HttpStatus.OK)
  async pause(@CurrentUser() user: AuthenticatedUser, @Param('name') name: string): Promise<QueuePauseResponse> {
    const queue = queueNamed(name);
    await this.producer.pauseQueue(queue);
    await this.audit.record({ actorId: user.id, action: 'queue.pause', target: queue });
    return { queue, paused: true };
  }

  @ApiResult(HttpStatus.OK, 'QueuePauseResponse')
  @Post('queue/:name/resume')
  @HttpCode(HttpStatus.OK)
  async resume(@CurrentUser() user: AuthenticatedUser, @Param('name') name: string): Promise<QueuePauseResponse> {
    const queue = queueNamed(name);
    await this.producer.resumeQueue(queue);
    await this.audit.record({ actorId: user.id, action: 'queue.resume', target: queue });
    return { queue, paused: false };
  }

  @ApiResult(HttpStatus.OK, 'JobsPage')
  @Get('queue/:name/jobs')
  async jobs(@Param('name') name: string, @Query() query: ListJobsQueryDto): Promise<JobsPage> {
    const queue = this.queues.get(queueNamed(name));
    if (query.end < query.start || query.end - query.start > 499) throw new BadRequestException('end must be >= start and at most start + 499');
    const state = query.state as 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'paused';
    const [jobs, counts] = await Promise.all([
      queue.getJobs([state], query.start, query.end, state !== 'completed' && state !== 'failed'),
      queue.getJobCounts(),
    ]);
    return {
      jobs: await Promise.all(jobs.filter(Boolean).map((job) => toJobDetail(queueNamed(name), job))),
      total: (counts as unknown as Record<string, number>)[state] ?? 0,
    };
  }

  /** 202 {retried} — or 200 {dryRun, matched} without touching anything. */
  @ApiResult(HttpStatus.ACCEPTED, 'RetryFailedResponse')
  @ApiResult(HttpStatus.OK, 'DryRunResponse', 'dryRun: how many jobs would be retried; nothing changed')
  @Post('queue/:name/retry-failed')
  @HttpCode(HttpStatus.ACCEPTED)
  async retryFailed(
    @CurrentUser() user: AuthenticatedUser,
    @Param('name') name: string,
    @Body() body: DryRunDto,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<RetryFailedResponse | DryRunResponse> {
    const queue = queueNamed(name);
    if (body.dryRun) return this.dryRun(res, await this.bulk.retryFailed(queue, true));
    const retried = await this.bulk.retryFailed(queue, false);
    await this.audit.record({ actorId: user.id, action: 'queue.retry-failed', target: queue, count: retried });
    return { retried };
  }

  @ApiResult(HttpStatus.OK, { oneOf: ['CleanQueueResponse', 'DryRunResponse'] })
  @Post('queue/:name/clean')
  @HttpCode(HttpStatus.OK)
  async clean(@CurrentUser() user: AuthenticatedUser, @Param('name') name: string, @Body() body: CleanQueueDto): Promise<CleanQueueResponse | DryRunResponse> {
    const queue = queueNamed(name);
    if (body.dryRun) return { dryRun: true, matched: await this.bulk.clean(queue, body.state, body.olderThanMs, true) };
    const removed = await this.bulk.clean(queue, body.state, body.olderThanMs, false);
    await this.audit.record({
      actorId: user.id,
      action: 'queue.clean',
      target: queue,
      count: removed,
      detail: { state: body.state, olderThanMs: body.olderThanMs },
    });
    return { removed };
  }

  @ApiResult(HttpStatus.ACCEPTED, 'PromoteJobsResponse')
  @ApiResult(HttpStatus.OK, 'DryRunResponse', 'dryRun: how many jobs would be promoted; nothing changed')
  @Post('queue/:name/promote')
  @HttpCode(HttpStatus.ACCEPTED)
  async promote(
    @CurrentUser() user: AuthenticatedUser,
    @Param('name') name: string,
    @Body() body: DryRunDto,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<PromoteJobsResponse | DryRunResponse> {
    const queue = queueNamed(name);
    if (body.dryRun) return this.dryRun(res, await this.bulk.promote(queue, true));
    const promoted = await this.bulk.promote(queue, false);
    await this.audit.record({ actorId: user.id, action: 'queue.promote', target: queue, count: promoted });
    return { promoted };
  }

  private dryRun(res: StatusSettable, matched: number): DryRunResponse {
    res.status(HttpStatus.OK);
    return { dryRun: true, matched };
  }

  @ApiResult(HttpStatus.OK, 'JobDetail')
  @Get('messages/jobs/:jobId')
  async job(@Param('jobId') jobId: string): Promise<JobDetail> {
    const found = await this.queues.findJob(jobId);
    if (!found) throw new NotFoundException(`Job ${jobId} not found`);
    return toJobDetail(found.queue, found.job);
  }

  @ApiResult(HttpStatus.ACCEPTED, 'JobDetail')
  @Post('messages/jobs/:jobId/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  async retry(@CurrentUser() user: AuthenticatedUser, @Param('jobId') jobId: string): Promise<JobDetail> {
    const found = await this.queues.findJob(jobId);
    if (!found) throw new NotFoundException(`Job ${jobId} not found`);
    const state = await found.job.getState();
    if (state !== 'failed') throw new ConflictException(`Job ${jobId} is ${state}, not failed`);
    await found.job.retry();
    await this.history.retried([{ queue: found.queue, jobId, jobName: found.job.name, data: found.job.data as Record<string, unknown> }]);
    await this.audit.record({ actorId: user.id, action: 'job.retry', target: jobId, count: 1, detail: { queue: found.queue } });
    return toJobDetail(found.queue, found.job);
  }
}
