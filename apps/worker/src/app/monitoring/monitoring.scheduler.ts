import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BullConnectionFactory } from '@mq/queue';
import { Observation, assessAlertRules } from './alert-rules';
import { AlertEvaluator } from './alert.evaluator';
import { JobEventTally } from './job-event.tally';
import { LeaderLock } from './leader.lock';
import { MONITORING_OPTIONS, MonitoringOptions } from './monitoring.config';
import { QueueSampler } from './queue.sampler';

/** Redis calls here wait out outages (the worker's policy); a round must not. */
const PING_TIMEOUT_MS = 1_500;
const REDIS_READ_TIMEOUT_MS = 5_000;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every METRICS_SAMPLE_INTERVAL_MS, on every worker: ping Redis, try to be (or stay) the
 * elected monitor, and if elected sample every queue and evaluate the alert rules. Several
 * workers therefore never write a sample or an alert twice. While Redis is unreachable
 * nobody can be elected, so the worker elected last keeps evaluating: that is how the
 * outage itself raises its alert.
 */
@Injectable()
export class MonitoringScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MonitoringScheduler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private leading = false;

  constructor(
    private readonly lock: LeaderLock,
    private readonly connections: BullConnectionFactory,
    private readonly sampler: QueueSampler,
    private readonly evaluator: AlertEvaluator,
    private readonly tally: JobEventTally,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** Before the queues' connections close: finish the round, then hand the lock over. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await withTimeout(this.lock.release(), PING_TIMEOUT_MS, 'releasing the monitor lock').catch(() => undefined);
  }

  /** One round; returns whether this worker was the elected monitor. */
  async runOnce(nowMs = Date.now()): Promise<boolean> {
    this.tally.prune(nowMs);
    const redisReachable = await withTimeout(this.connections.commandConnection().ping(), PING_TIMEOUT_MS, 'Redis ping').then(
      () => true,
      () => false,
    );
    let observation: Observation;
    if (redisReachable) {
      const elected = await withTimeout(this.lock.acquire(), PING_TIMEOUT_MS, 'the monitor lock').catch(() => {
        this.lock.abandon();
        return false;
      });
      if (elected !== this.leading) {
        // Whoever wrote the last samples, continue from the table.
        this.sampler.forgetProgress();
        this.leading = elected;
        this.logger.log({ lock: this.lock.key }, elected ? 'elected to sample queues and evaluate alerts' : 'no longer the queue monitor');
      }
      if (!elected) return false;
      const gauges = await withTimeout(this.sampler.readGauges(), REDIS_READ_TIMEOUT_MS, 'reading the queues');
      await this.sampler.write(gauges, nowMs);
      const windowStart = nowMs - this.options.alerts.failureWindowMinutes * 60_000;
      observation = {
        redisReachable,
        queues: gauges.map((g) => ({
          queue: g.queue,
          backlog: g.waiting,
          oldestWaitingMs: g.oldestWaitingMs,
          window: this.tally.count(g.queue, windowStart, nowMs),
        })),
      };
    } else {
      if (!this.lock.held) return false;
      observation = { redisReachable };
    }
    await this.evaluator.apply(assessAlertRules(observation, this.options.alerts));
    return true;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.runOnce(started)
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'monitoring round failed'))
        .finally(() => {
          if (!this.stopped) this.schedule(Math.max(0, this.options.sampleIntervalMs - (Date.now() - started)));
        });
    }, delayMs);
  }
}
