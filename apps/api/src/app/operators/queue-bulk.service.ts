import { Injectable } from '@nestjs/common';
import type { Job, JobStatusClean, Queue } from 'bull';
import { QueueRegistry } from '@mq/queue';
import { QueueName } from '@mq/queue-contracts';

/** Jobs touched per round: big enough to be quick, small enough that Redis never stalls on one command. */
const CHUNK = 500;

/**
 * Bulk actions over one queue, each in bounded chunks (a queue with 100,000 failed jobs is
 * handled as 200 small steps, never one huge command) and each with a dry run that only counts.
 */
@Injectable()
export class QueueBulkService {
  constructor(private readonly queues: QueueRegistry) {}

  async retryFailed(name: QueueName, dryRun: boolean): Promise<number> {
    const queue = this.queues.get(name);
    const matched = await queue.getFailedCount();
    if (dryRun) return matched;
    // Only as many as were failed when asked: jobs that fail again meanwhile are not looped on.
    let retried = 0;
    while (retried < matched) {
      const jobs = (await queue.getFailed(0, Math.min(CHUNK, matched - retried) - 1)).filter((job): job is Job => Boolean(job));
      if (jobs.length === 0) break;
      const results = await Promise.allSettled(jobs.map((job) => job.retry()));
      const done = results.filter((r) => r.status === 'fulfilled').length;
      retried += done;
      if (done === 0) break;
    }
    return retried;
  }

  async clean(name: QueueName, state: 'completed' | 'failed', olderThanMs: number, dryRun: boolean): Promise<number> {
    const queue = this.queues.get(name);
    if (dryRun) return this.countFinishedBefore(queue, state, Date.now() - olderThanMs);
    let removed = 0;
    for (;;) {
      const chunk = await queue.clean(olderThanMs, state as JobStatusClean, CHUNK);
      removed += chunk.length;
      if (chunk.length < CHUNK) return removed;
    }
  }

  async promote(name: QueueName, dryRun: boolean): Promise<number> {
    const queue = this.queues.get(name);
    const matched = await queue.getDelayedCount();
    if (dryRun) return matched;
    let promoted = 0;
    while (promoted < matched) {
      const jobs = (await queue.getDelayed(0, CHUNK - 1)).filter((job): job is Job => Boolean(job));
      if (jobs.length === 0) break;
      const results = await Promise.allSettled(jobs.map((job) => job.promote()));
      const done = results.filter((r) => r.status === 'fulfilled').length;
      promoted += done;
      if (done === 0) break;
    }
    return promoted;
  }

  /** Finished-job sets are sorted by finish time: a range count, no job is loaded. */
  private async countFinishedBefore(queue: Queue, state: 'completed' | 'failed', before: number): Promise<number> {
    return queue.client.zcount(queue.toKey(state), 0, before);
  }
}
