import { ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post } from '@nestjs/common';
import type { Job } from 'bull';
import type { JobDetail, JobState, QueueHealthReport, QueueMetrics } from '@mq/messaging-contracts';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { QueueName, isQueueName } from '@mq/queue-contracts';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { AuditService } from './audit.service';

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

export async function toJobDetail(queue: QueueName, job: Job): Promise<JobDetail> {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    state: (await job.getState()) as JobState,
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

/** The seeds' queue endpoints: metrics, health, pause/resume, a job by id and its retry. */
@Controller()
@Roles('admin')
export class QueueOperationsController {
  constructor(
    private readonly producer: MessageQueueService,
    private readonly queues: QueueRegistry,
    private readonly audit: AuditService,
  ) {}

  @Get(['queue/metrics', 'messages/queue/metrics'])
  metrics(): Promise<QueueMetrics> {
    return this.producer.getQueueMetrics();
  }

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

  @Post('queue/:name/pause')
  @HttpCode(HttpStatus.OK)
  async pause(@CurrentUser() user: AuthenticatedUser, @Param('name') name: string): Promise<{ queue: string; paused: true }> {
    const queue = queueNamed(name);
    await this.producer.pauseQueue(queue);
    await this.audit.record({ actorId: user.id, action: 'queue.pause', target: queue });
    return { queue, paused: true };
  }

  @Post('queue/:name/resume')
  @HttpCode(HttpStatus.OK)
  async resume(@CurrentUser() user: AuthenticatedUser, @Param('name') name: string): Promise<{ queue: string; paused: false }> {
    const queue = queueNamed(name);
    await this.producer.resumeQueue(queue);
    await this.audit.record({ actorId: user.id, action: 'queue.resume', target: queue });
    return { queue, paused: false };
  }

  @Get('messages/jobs/:jobId')
  async job(@Param('jobId') jobId: string): Promise<JobDetail> {
    const found = await this.queues.findJob(jobId);
    if (!found) throw new NotFoundException(`Job ${jobId} not found`);
    return toJobDetail(found.queue, found.job);
  }

  @Post('messages/jobs/:jobId/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  async retry(@CurrentUser() user: AuthenticatedUser, @Param('jobId') jobId: string): Promise<JobDetail> {
    const found = await this.queues.findJob(jobId);
    if (!found) throw new NotFoundException(`Job ${jobId} not found`);
    const state = await found.job.getState();
    if (state !== 'failed') throw new ConflictException(`Job ${jobId} is ${state}, not failed`);
    await found.job.retry();
    await this.audit.record({ actorId: user.id, action: 'job.retry', target: jobId, count: 1, detail: { queue: found.queue } });
    return toJobDetail(found.queue, found.job);
  }
}
