import { Injectable } from '@nestjs/common';
import type { Job, JobOptions, Queue } from 'bull';
import {
  BatchMessageJob,
  CleanupJob,
  DeliveryConfirmationJob,
  EncryptionJob,
  IndexingJob,
  JOB,
  JobName,
  JobPayload,
  JobPriority,
  NotificationJob,
  PriorityLevel,
  QUEUE_NAMES,
  QUEUE_POLICY,
  QueueName,
  SendMessageJob,
  jobIdFor,
  queueOfJob,
  toJobPriority,
  validateJobPayload,
} from '@mq/queue-contracts';
import type { HealthStatus, QueueCounts, QueueHealthEntry, QueueMetrics } from '@mq/messaging-contracts';
import { QueueRegistry } from './queue.registry';

/** A queue's health with the counts it was judged by (the api's `GET /queue/health` answers QueueHealthEntry). */
export interface QueueHealthDetail extends QueueHealthEntry {
  active: number;
  failed: number;
}

export interface QueuesHealth {
  status: HealthStatus;
  queues: Record<QueueName, QueueHealthDetail>;
}

const EMPTY_COUNTS: Readonly<QueueCounts> = Object.freeze({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 0 });

export type RepeatOptions = { cron: string; tz?: string } | { everyMs: number };

export interface EnqueueOptions {
  /** A level ('high' | 'normal' | 'low') or a Bull priority from JOB_PRIORITY. Defaults to the queue's. */
  priority?: PriorityLevel | JobPriority;
  /** Run no earlier than this many milliseconds from now (scheduled sends). */
  delayMs?: number;
  /** Run on a schedule; Bull keeps one schedule per job id however often this is called. */
  repeat?: RepeatOptions;
  /** Overrides the deterministic id; only for work that has no natural key. */
  jobId?: string;
}

export interface FailedJobSummary {
  id: string;
  queue: QueueName;
  name: string;
  failedReason: string;
  attemptsMade: number;
  timestamp: number;
  finishedOn: number | null;
}

/** Thresholds for a queue's health; the operator surface makes these configurable. */
const HEALTH = Object.freeze({
  minJobsForRate: 20,
  degradedFailureRate: 0.05,
  unhealthyFailureRate: 0.25,
  degradedWaitMs: 60_000,
  unhealthyWaitMs: 5 * 60_000,
});

/**
 * The one typed producer API. Payloads are the contracts' (ids, never content), validated
 * before they reach Redis; job ids are deterministic, so adding the same work twice yields
 * one job.
 */
@Injectable()
export class MessageQueueService {
  constructor(private readonly queues: QueueRegistry) {}

  /** Enqueues a job and returns its id. */
  async add<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions = {}): Promise<string> {
    const data = validateJobPayload(name, payload);
    const queueName = queueOfJob(name);
    const job = await this.queues.get(queueName).add(name, { ...data }, this.jobOptions(name, data, options));
    return String(job.id);
  }

  /** Enqueues many jobs of one kind in a single Redis round trip; returns their ids in order. */
  async addMany<N extends JobName>(name: N, payloads: readonly JobPayload<N>[], options: Omit<EnqueueOptions, 'jobId' | 'repeat'> = {}): Promise<string[]> {
    if (payloads.length === 0) return [];
    const queue = this.queues.get(queueOfJob(name));
    const jobs = payloads.map((payload) => {
      const data = validateJobPayload(name, payload);
      return { name, data: { ...data }, opts: this.jobOptions(name, data, options) };
    });
    const added = await queue.addBulk(jobs);
    // Bull's addBulk resolves even when commands inside its MULTI failed (a Redis that restarted
    // and lost its scripts answers NOSCRIPT): such a job has no id and is not in Redis. Those are
    // added one by one, which reloads the script; an error then reaches the caller (the outbox
    // keeps the row for its relay) instead of a job reported added that never was.
    return Promise.all(
      added.map(async (job, i) => {
        if (job.id !== undefined && job.id !== null) return String(job.id);
        const { name: jobName, data, opts } = jobs[i] as (typeof jobs)[number];
        return String((await queue.add(jobName, data, opts)).id);
      }),
    );
  }

  addMessageDeliveryJob(payload: SendMessageJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.SEND_MESSAGE, payload, options);
  }

  addDeliveryConfirmationJob(payload: DeliveryConfirmationJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.DELIVERY_CONFIRMATION, payload, options);
  }

  addNotificationJob(payload: NotificationJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.SEND_NOTIFICATION, payload, options);
  }

  addEncryptionJob(payload: EncryptionJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.ENCRYPT_DECRYPT, payload, options);
  }

  addIndexingJob(payload: IndexingJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.INDEX_MESSAGE, payload, options);
  }

  addBatchMessageJob(payload: BatchMessageJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.BATCH_SEND, payload, options);
  }

  addCleanupJob(payload: CleanupJob, options?: EnqueueOptions): Promise<string> {
    return this.add(JOB.CLEANUP_MESSAGES, payload, options);
  }

  async getQueueMetrics(): Promise<QueueMetrics> {
    const counts = await Promise.all(QUEUE_NAMES.map((name) => this.countsOf(this.queues.get(name))));
    const queues = Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, counts[i]])) as Record<QueueName, QueueCounts>;
    const totals = counts.reduce<QueueCounts>(
      (sum, c) => ({
        waiting: sum.waiting + c.waiting,
        active: sum.active + c.active,
        completed: sum.completed + c.completed,
        failed: sum.failed + c.failed,
        delayed: sum.delayed + c.delayed,
        paused: sum.paused + c.paused,
      }),
      { ...EMPTY_COUNTS },
    );
    return { queues, totals, timestamp: new Date().toISOString() };
  }

  async getQueueHealth(name: QueueName): Promise<QueueHealthDetail> {
    const queue = this.queues.get(name);
    const [counts, paused, oldestWaitingMs] = await Promise.all([this.countsOf(queue), queue.isPaused(), this.oldestWaitingMs(queue)]);
    const finished = counts.completed + counts.failed;
    const failureRate = finished === 0 ? 0 : counts.failed / finished;
    const rateCounts = finished >= HEALTH.minJobsForRate;
    let status: HealthStatus = 'healthy';
    if ((rateCounts && failureRate >= HEALTH.unhealthyFailureRate) || oldestWaitingMs >= HEALTH.unhealthyWaitMs) {
      status = 'unhealthy';
    } else if (paused || (rateCounts && failureRate >= HEALTH.degradedFailureRate) || oldestWaitingMs >= HEALTH.degradedWaitMs) {
      status = 'degraded';
    }
    return {
      status,
      failureRate,
      waiting: counts.waiting + counts.paused,
      active: counts.active,
      failed: counts.failed,
      oldestWaitingMs,
      paused,
    };
  }

  async getQueuesHealth(): Promise<QueuesHealth> {
    const healths = await Promise.all(QUEUE_NAMES.map((name) => this.getQueueHealth(name)));
    const queues = Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, healths[i]])) as Record<QueueName, QueueHealthDetail>;
    const status: HealthStatus = healths.some((h) => h.status === 'unhealthy')
      ? 'unhealthy'
      : healths.some((h) => h.status === 'degraded')
        ? 'degraded'
        : 'healthy';
    return { status, queues };
  }

  /** The most recent failed jobs of a queue, newest first. */
  async getFailedJobs(name: QueueName, limit = 100): Promise<FailedJobSummary[]> {
    const jobs = await this.queues.get(name).getFailed(0, Math.max(0, limit - 1));
    return jobs
      .filter((job): job is Job => Boolean(job))
      .map((job) => ({
        id: String(job.id),
        queue: name,
        name: job.name,
        failedReason: job.failedReason ?? '',
        attemptsMade: job.attemptsMade,
        timestamp: job.timestamp,
        finishedOn: job.finishedOn ?? null,
      }));
  }

  /** Pauses a queue for every worker (jobs wait; nothing is lost). */
  async pauseQueue(name: QueueName): Promise<void> {
    await this.queues.get(name).pause(false);
  }

  async resumeQueue(name: QueueName): Promise<void> {
    await this.queues.get(name).resume(false);
  }

  private jobOptions<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions): JobOptions {
    const policy = QUEUE_POLICY[queueOfJob(name)];
    const priority =
      options.priority === undefined ? policy.defaultPriority : typeof options.priority === 'number' ? options.priority : toJobPriority(options.priority);
    const jobOptions: JobOptions = { jobId: options.jobId ?? jobIdFor(name, payload), priority };
    if (options.delayMs !== undefined && options.delayMs > 0) jobOptions.delay = Math.ceil(options.delayMs);
    if (options.repeat) {
      jobOptions.repeat = 'cron' in options.repeat ? { cron: options.repeat.cron, tz: options.repeat.tz } : { every: options.repeat.everyMs };
    }
    return jobOptions;
  }

  private async countsOf(queue: Queue): Promise<QueueCounts> {
    const counts = (await queue.getJobCounts()) as Partial<QueueCounts>;
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      paused: counts.paused ?? 0,
    };
  }

  /**
   * Age of the job that has waited longest. Bull's wait list runs tail-first, and priorities
   * insert mid-list, so the oldest job is at one of its two ends: look at both.
   */
  private async oldestWaitingMs(queue: Queue): Promise<number> {
    const [nextInLine, lastInLine] = await Promise.all([queue.getWaiting(0, 0), queue.getJobs(['waiting', 'paused'], 0, 0, false)]);
    const timestamps = [...nextInLine, ...lastInLine].filter((job): job is Job => Boolean(job)).map((job) => job.timestamp);
    return timestamps.length === 0 ? 0 : Math.max(0, Date.now() - Math.min(...timestamps));
  }
}
