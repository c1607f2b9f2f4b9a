import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MessageQueueService, QueueRegistry, ScheduleService } from '@mq/queue';
import { JOB, QUEUE } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

/** A stable UUID for the schedule, so every worker registers the very same repeatable job. */
function scheduleRunId(): string {
  const hex = createHash('sha256').update('mq:nightly-cleanup').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Registers the nightly `cleanup-messages` run. Bull keys a repeatable job by name, id and
 * schedule, so however many workers start there is one schedule; a schedule left behind by
 * a changed CLEANUP_CRON is removed; one an operator paused stays paused.
 */
@Injectable()
export class CleanupScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(CleanupScheduler.name);

  constructor(
    private readonly producer: MessageQueueService,
    private readonly queues: QueueRegistry,
    private readonly schedules: ScheduleService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.queues.includes(QUEUE.CLEANUP)) return;
    // An operator paused it (console, Schedules): a restart must not bring it back.
    if (await this.schedules.isPaused(JOB.CLEANUP_MESSAGES)) {
      this.logger.log('nightly cleanup paused by an operator; not scheduled');
      return;
    }
    const { cron, timeZone, retentionDays, batchSize } = this.config.cleanup;
    const queue = this.queues.get(QUEUE.CLEANUP);
    for (const repeatable of await queue.getRepeatableJobs()) {
      if (repeatable.name === JOB.CLEANUP_MESSAGES && (repeatable.cron !== cron || repeatable.tz !== timeZone)) {
        await queue.removeRepeatableByKey(repeatable.key);
      }
    }
    const runId = scheduleRunId();
    await this.producer.addCleanupJob(
      { runId, cleanupType: 'all', retentionDays, batchSize, dryRun: false },
      // No ':' in a repeatable job's id: Bull splits its schedule key on colons.
      { repeat: { cron, tz: timeZone }, jobId: 'nightly-cleanup' },
    );
    this.logger.log({ cron, timeZone, retentionDays }, 'nightly cleanup scheduled');
  }
}
