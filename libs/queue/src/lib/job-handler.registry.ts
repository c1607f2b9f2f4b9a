import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Job, JobOptions } from 'bull';
import { InvalidJobPayloadError, JobName, QUEUE_POLICY, QueueName, isJobName, queueOfJob, traceparentsOf, validateJobPayload } from '@mq/queue-contracts';
import { tracedJob } from '@mq/tracing';
import { JOB_HANDLER_METADATA } from './job-handler.decorator';
import { DiscoveredHandler, HandlerCoverageError, findHandlerCoverageProblems } from './handler-coverage';
import { LOST_JOB_SOURCE, LostJobSource } from './lost-job.source';
import { defaultJobOptionsFor } from './queue.module';
import { QueueRegistry } from './queue.registry';

export interface QueueConsumerOptions {
  /** The queues this process consumes (WORKER_QUEUES). */
  queues: readonly QueueName[];
  /** How long shutdown waits for active jobs before releasing them to another worker. */
  shutdownTimeoutMs: number;
}

export const QUEUE_CONSUMER_OPTIONS = Symbol('QUEUE_CONSUMER_OPTIONS');

type BoundHandler = (job: Job) => Promise<unknown>;

/**
 * Finds every `@JobHandler` method, refuses to boot unless each job name has exactly one,
 * then consumes the configured queues with each queue's policy concurrency. One Bull
 * processor per queue dispatches by job name, so concurrency is the queue's, not a sum
 * over its job names.
 */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobHandlerRegistry.name);
  private readonly handlers = new Map<JobName, BoundHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly queues: QueueRegistry,
    @Inject(QUEUE_CONSUMER_OPTIONS) private readonly options: QueueConsumerOptions,
    @Optional() @Inject(LOST_JOB_SOURCE) private readonly lostJobs?: LostJobSource,
  ) {}

  onModuleInit(): void {
    const discovered: (DiscoveredHandler & { handler: BoundHandler })[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const jobName: unknown = Reflect.getMetadata(JOB_HANDLER_METADATA, fn);
        if (typeof jobName !== 'string') continue;
        discovered.push({
          jobName,
          location: `${instance.constructor.name}.${method}`,
          handler: (fn as (job: Job) => Promise<unknown>).bind(instance),
        });
      }
    }
    const problems = findHandlerCoverageProblems(discovered);
    if (problems.length > 0) throw new HandlerCoverageError(problems);
    for (const { jobName, handler } of discovered) {
      if (isJobName(jobName)) this.handlers.set(jobName, handler);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const name of this.options.queues) {
      const queue = this.queues.get(name);
      const { concurrency } = QUEUE_POLICY[name];
      // process() settles only when the queue closes; a failure to start is an error event.
      queue
        .process('*', concurrency, (job: Job) => this.dispatch(name, job))
        .catch((error: unknown) => {
          this.logger.error({ queue: name, err: error }, 'queue processing stopped');
        });
      await queue.isReady();
      this.logger.log({ queue: name, concurrency }, 'consuming queue');
    }
  }

  /** Lets active jobs finish (bounded); jobs still running after that are released by their lock expiring. */
  async beforeApplicationShutdown(): Promise<void> {
    const closing = this.options.queues.map((name) => this.queues.get(name).close());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all(closing).then(() => 'closed' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Not close(true): Bull answers a second close with the first one's promise, still waiting.
      // The queues' connections are cut when the app shuts down (QueueModule), which ends them.
      this.logger.warn(
        { timeoutMs: this.options.shutdownTimeoutMs },
        'active jobs still running at shutdown: their connections are cut, another worker retries them once their locks expire',
      );
    }
  }

  private async dispatch(queue: QueueName, job: Job): Promise<unknown> {
    // Bull writes a timestamp with every job it adds: a job without one is a stub.
    if (!Number.isFinite(job.timestamp)) await this.restoreLostJob(queue, job);
    const handler = isJobName(job.name) && queueOfJob(job.name) === queue ? this.handlers.get(job.name) : undefined;
    if (!handler) {
      // A job no code can run will never succeed: fail it now instead of burning retries.
      await job.discard();
      throw new Error(`No processor for job "${job.name}" on queue ${queue}`);
    }
    try {
      validateJobPayload(job.name as JobName, job.data);
    } catch (error) {
      if (error instanceof InvalidJobPayloadError) await job.discard();
      throw error;
    }
    // Tracing on: the job runs in a span of each trace it carries (README "Tracing").
    return tracedJob(
      job.name,
      String(job.id),
      () => traceparentsOf(job.data),
      () => handler(job),
    );
  }

  /**
   * A job Redis lost while it was being taken: the worker popped its id just before Redis
   * crashed, and its `moveToActive`, replayed onto the Redis that came back empty, left a stub
   * under the id (a lock and `processedOn`, no name, no data). Every later add of that id,
   * the api's and the outbox relay's, is then a no-op, so the job would never run. It is filled
   * in again from where it was staged and runs now; with nowhere to find it, the stub is removed
   * so the id can be added again, and this run fails.
   */
  private async restoreLostJob(queue: QueueName, job: Job): Promise<void> {
    const bull = this.queues.get(queue);
    const jobId = String(job.id);
    const jobKey = bull.toKey(jobId);
    const staged = await this.lostJobs?.findJob(jobId);
    if (!staged || !isJobName(staged.name) || queueOfJob(staged.name) !== queue) {
      await bull.client.multi().del(jobKey, `${jobKey}:lock`).lrem(bull.toKey('active'), 0, jobId).exec();
      this.logger.warn({ queue, jobId }, 'a job lost with Redis could not be restored: its stub is removed so it can be added again');
      throw new Error(`Job ${jobId} was lost with Redis and is not in the outbox`);
    }
    const timestamp = Date.now();
    const opts: JobOptions = { ...defaultJobOptionsFor(queue), jobId, priority: staged.priority, delay: 0 };
    Object.assign(job, { name: staged.name, data: staged.payload, opts, timestamp, delay: 0 });
    await bull.client.hset(jobKey, {
      name: staged.name,
      data: JSON.stringify(staged.payload),
      opts: JSON.stringify(opts),
      timestamp,
      delay: 0,
      priority: staged.priority,
    });
    this.logger.warn({ queue, jobId, job: staged.name }, 'a job lost with Redis while being taken was restored from the outbox');
  }
}
