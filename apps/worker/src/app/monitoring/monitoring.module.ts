import { DynamicModule, Module } from '@nestjs/common';
import { BullConnectionFactory } from '@mq/queue';
import { AlertEvaluator } from './alert.evaluator';
import { AlertNotifier } from './alert.notifier';
import { JobEventTally } from './job-event.tally';
import { JobEventsListener } from './job-events.listener';
import { JobOutcomeMetrics } from './job-outcome.metrics';
import { LeaderLock } from './leader.lock';
import { MONITORING_OPTIONS, MonitoringOptions } from './monitoring.config';
import { MonitoringScheduler } from './monitoring.scheduler';
import { QueueSampler } from './queue.sampler';
import { WorkerHeartbeat } from './worker.heartbeat';

/** A leader that died is replaced after this many missed rounds. */
const LOCK_TTL_ROUNDS = 3;
/** Beyond the failure window, the tally covers a leader hand-over (lock expiry plus a round). */
const TALLY_SLACK_MS = 10 * 60_000;

/**
 * Queue monitoring in the worker: job events counted, queues sampled into
 * `queue_metric_samples`, alert rules evaluated, by one elected worker at a time.
 */
@Module({})
export class MonitoringModule {
  static forRoot(options: MonitoringOptions): DynamicModule {
    return {
      module: MonitoringModule,
      providers: [
        { provide: MONITORING_OPTIONS, useValue: options },
        {
          provide: JobEventTally,
          useFactory: () => new JobEventTally(options.alerts.failureWindowMinutes * 60_000 + TALLY_SLACK_MS, Date.now()),
        },
        {
          provide: LeaderLock,
          useFactory: (connections: BullConnectionFactory) =>
            new LeaderLock(
              connections.commandConnection(),
              `${options.queuePrefix}:monitoring:leader`,
              Math.max(LOCK_TTL_ROUNDS * options.sampleIntervalMs, 3_000),
            ),
          inject: [BullConnectionFactory],
        },
        JobEventsListener,
        JobOutcomeMetrics,
        QueueSampler,
        AlertNotifier,
        AlertEvaluator,
        MonitoringScheduler,
        WorkerHeartbeat,
      ],
      exports: [JobOutcomeMetrics, WorkerHeartbeat],
    };
  }
}
