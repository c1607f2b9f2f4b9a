import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { QUEUE_POLICY } from '@mq/queue-contracts';
import { WorkerRegistry } from '@mq/queue';
import type { JobOutcomeEvent, JobOutcomeHandler } from '../job-events/job-outcome';
import { MONITORING_OPTIONS, MonitoringOptions } from './monitoring.config';

/**
 * This process in the worker registry: who it is (host, pid, version, queues and their
 * concurrency), when it started and last beat, what it has done (jobs finished, per second
 * over the last interval) and its memory. Removed on a clean stop; a killed worker stays,
 * and the console shows it lost after three missed beats.
 */
@Injectable()
export class WorkerHeartbeat implements JobOutcomeHandler, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly startedAt = Date.now();
  private readonly id = `${hostname()}:${process.pid}:${this.startedAt}`;
  private completed = 0;
  private failed = 0;
  private finishedAtLastBeat = 0;
  private lastBeatAt = this.startedAt;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: WorkerRegistry,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
  ) {}

  onJobOutcome({ kind }: JobOutcomeEvent): void {
    if (kind === 'completed') this.completed += 1;
    else if (kind === 'failed') this.failed += 1;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.registry.remove(this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const finished = this.completed + this.failed;
    const seconds = Math.max((now - this.lastBeatAt) / 1000, 0.001);
    try {
      await this.registry.beat({
        id: this.id,
        host: hostname(),
        pid: process.pid,
        version: this.options.appVersion,
        queues: this.options.queues.map((name) => ({ name, concurrency: QUEUE_POLICY[name].concurrency })),
        startedAt: this.startedAt,
        lastHeartbeatAt: now,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        jobsCompleted: this.completed,
        jobsFailed: this.failed,
        jobsPerSecond: Math.round(((finished - this.finishedAtLastBeat) / seconds) * 10) / 10,
        rssBytes: process.memoryUsage.rss(),
      });
      this.finishedAtLastBeat = finished;
      this.lastBeatAt = now;
    } catch (error) {
      // Redis away: the next beat tries again; the console shows the gap as it is.
      this.logger.warn({ err: String(error) }, 'worker heartbeat not written');
    }
  }
}
