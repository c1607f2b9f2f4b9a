import { createHash } from 'node:crypto';
import type { Job, Queue } from 'bull';
import type { ScheduledJob } from '@mq/messaging-contracts';
import { JOB_NAMES, type JobName, type QueueName } from '@mq/queue-contracts';
import { BullConnectionFactory } from './bull-connection.factory';
import { MessageQueueService } from './message-queue.service';
import { QueueRegistry } from './queue.registry';
import { pausedSchedulesKey } from './redis-keys';

/** What resuming a paused schedule needs: Bull forgets all of it when the schedule is removed. */
interface PausedSchedule {
  queue: QueueName;
  name: JobName;
  data: Record<string, unknown>;
  cron: string | null;
  timeZone: string | null;
  jobId: string | null;
}

/** The schedule is unknown (never existed, or already in the state asked for). */
export class ScheduleNotFoundError extends Error {}

const RECENT_RUNS = 200;

/**
 * Repeatable jobs across the queues, for operators: list them with their next and last run,
 * pause one (Bull has no pause for a schedule: it is removed, and what re-adding it needs is
 * kept in Redis, which the worker's schedulers honour at boot), resume it, or run it now: a
 * one-off job with the schedule's data, so the next scheduled run stays where it was.
 */
export class ScheduleService {
  private readonly pausedKey: string;

  constructor(
    private readonly queues: QueueRegistry,
    private readonly producer: MessageQueueService,
    private readonly connections: BullConnectionFactory,
    prefix: string,
  ) {
    this.pausedKey = pausedSchedulesKey(prefix);
  }

  async list(): Promise<ScheduledJob[]> {
    const schedules: ScheduledJob[] = [];
    for (const [queueName, queue] of this.queues.entries()) {
      for (const repeatable of await queue.getRepeatableJobs()) {
        schedules.push({
          key: repeatable.key,
          queue: queueName,
          name: repeatable.name,
          cron: repeatable.cron ?? null,
          timeZone: repeatable.tz ?? null,
          status: 'active',
          nextRunAt: new Date(repeatable.next).toISOString(),
          lastRun: await lastRunOf(queue, repeatable.key),
        });
      }
    }
    for (const [key, json] of Object.entries(await this.redis().hgetall(this.pausedKey))) {
      const paused = JSON.parse(json) as PausedSchedule;
      const lastRun = await lastRunOf(this.queues.get(paused.queue), key);
      schedules.push({ key, queue: paused.queue, name: paused.name, cron: paused.cron, timeZone: paused.timeZone, status: 'paused', nextRunAt: null, lastRun });
    }
    return schedules.sort((a, b) => a.queue.localeCompare(b.queue) || a.name.localeCompare(b.name));
  }

  /** Whether a schedule of this job name is paused: a scheduler must not add it back at boot. */
  async isPaused(name: JobName): Promise<boolean> {
    const all = Object.values(await this.redis().hgetall(this.pausedKey)).map((json) => JSON.parse(json) as PausedSchedule);
    return all.some((paused) => paused.name === name);
  }

  async pause(key: string): Promise<void> {
    const found = await this.pendingRun(key);
    if (!found) throw new ScheduleNotFoundError(`No active schedule ${key}`);
    const { queueName, queue, job } = found;
    const repeat = job.opts.repeat as { cron?: string; tz?: string; jobId?: string } | undefined;
    const paused: PausedSchedule = {
      queue: queueName,
      name: job.name as JobName,
      data: job.data as Record<string, unknown>,
      cron: repeat?.cron ?? null,
      timeZone: repeat?.tz ?? null,
      jobId: repeat?.jobId ?? null,
    };
    await this.redis().hset(this.pausedKey, key, JSON.stringify(paused));
    // Removes the schedule and its pending occurrence.
    await queue.removeRepeatableByKey(key);
    await job.remove().catch(() => undefined);
  }

  async resume(key: string): Promise<void> {
    const json = await this.redis().hget(this.pausedKey, key);
    if (!json) throw new ScheduleNotFoundError(`No paused schedule ${key}`);
    const paused = JSON.parse(json) as PausedSchedule;
    if (!JOB_NAMES.includes(paused.name) || !paused.cron) throw new ScheduleNotFoundError(`Paused schedule ${key} cannot be resumed`);
    await this.producer.add(paused.name, paused.data as never, {
      repeat: { cron: paused.cron, ...(paused.timeZone ? { tz: paused.timeZone } : {}) },
      ...(paused.jobId ? { jobId: paused.jobId } : {}),
    });
    await this.redis().hdel(this.pausedKey, key);
  }

  /** Runs the schedule's job once, now, active or paused; returns the job id. */
  async runNow(key: string): Promise<string> {
    const pending = await this.pendingRun(key);
    const pausedJson = pending ? undefined : await this.redis().hget(this.pausedKey, key);
    const paused = pausedJson ? (JSON.parse(pausedJson) as PausedSchedule) : undefined;
    const name = (pending?.job.name ?? paused?.name) as JobName | undefined;
    const data = pending?.job.data ?? paused?.data;
    if (!name || !data || !JOB_NAMES.includes(name)) throw new ScheduleNotFoundError(`No schedule ${key}`);
    return this.producer.add(name, data as never, { jobId: `${manualRunPrefix(key)}${Date.now()}` });
  }

  private redis() {
    return this.connections.commandConnection();
  }

  /** The delayed job that is a schedule's next occurrence, and its queue. */
  private async pendingRun(key: string): Promise<{ queueName: QueueName; queue: Queue; job: Job } | undefined> {
    for (const [queueName, queue] of this.queues.entries()) {
      if (!(await queue.getRepeatableJobs()).some((repeatable) => repeatable.key === key)) continue;
      const job = (await queue.getDelayed()).find((delayed) => (delayed.opts.repeat as { key?: string } | undefined)?.key === key);
      return job ? { queueName, queue, job } : undefined;
    }
    return undefined;
  }
}

/** The id prefix of a schedule's runs started by hand: how they are found again as its runs. */
function manualRunPrefix(key: string): string {
  return `manual-${createHash('sha256').update(key).digest('hex').slice(0, 16)}-`;
}

async function lastRunOf(queue: Queue, key: string): Promise<ScheduledJob['lastRun']> {
  const manual = manualRunPrefix(key);
  const finished = (await queue.getJobs(['completed', 'failed'], 0, RECENT_RUNS)).filter(
    (job) => job && job.finishedOn && ((job.opts.repeat as { key?: string } | undefined)?.key === key || String(job.id).startsWith(manual)),
  );
  const last = finished.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0))[0];
  if (!last) return null;
  return {
    jobId: String(last.id),
    state: last.failedReason ? 'failed' : 'completed',
    finishedAt: new Date(last.finishedOn ?? 0).toISOString(),
    failedReason: last.failedReason ?? null,
  };
}
