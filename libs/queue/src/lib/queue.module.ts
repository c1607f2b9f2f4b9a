import { BullModule, getQueueToken } from '@nestjs/bull';
import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { AdvancedSettings, JobOptions, Queue } from 'bull';
import { QUEUE_NAMES, QUEUE_POLICY, QueueName } from '@mq/queue-contracts';
import { BullConnectionFactory, RedisOutagePolicy } from './bull-connection.factory';
import { MessageQueueService } from './message-queue.service';
import { QueueConfig } from './queue.config';
import { QueueRegistry } from './queue.registry';
import { queueKeyPrefix } from './redis-keys';
import { RedisReporter } from './redis.reporter';
import { ScheduleService } from './schedule.service';
import { TrafficStore } from './traffic.store';
import { WorkerRegistry } from './worker.registry';

export interface QueueModuleOptions {
  config: QueueConfig;
  /** See RedisOutagePolicy: the api fails fast, the worker waits for Redis to come back. */
  outagePolicy: RedisOutagePolicy;
}

/** How long closing queues may take once the consumer has stopped waiting for their jobs. */
const CLOSE_GRACE_MS = 1_000;

/** Closes the queues, then the shared connections Bull does not close itself. */
@Injectable()
class QueueConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(BullConnectionFactory) private readonly connections: BullConnectionFactory,
    private readonly queues: QueueRegistry,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // A queue whose close cannot finish (a job still running past the consumer's timeout, a
    // connection lost mid-close) must not hold the process: its connections are cut below.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.allSettled(this.queues.entries().map(([, queue]) => queue.close())), grace]);
    clearTimeout(timer);
    await this.connections.closeAll();
  }
}

/** The options every job of a queue gets from its policy (Bull merges them into each add). */
export function defaultJobOptionsFor(name: QueueName): JobOptions {
  const policy = QUEUE_POLICY[name];
  return {
    attempts: policy.attempts,
    backoff: { type: policy.backoff.type, delay: policy.backoff.delayMs },
    timeout: policy.timeoutMs,
    priority: policy.defaultPriority,
    removeOnComplete: { age: policy.keepCompleted.maxAgeSeconds, count: policy.keepCompleted.maxCount },
    removeOnFail: { age: policy.keepFailed.maxAgeSeconds, count: policy.keepFailed.maxCount },
  };
}

/** A queue's lock and stall settings from its policy. */
export function queueSettingsFor(name: QueueName): AdvancedSettings {
  const policy = QUEUE_POLICY[name];
  return {
    lockDuration: policy.lockDurationMs,
    lockRenewTime: Math.floor(policy.lockDurationMs / 2),
    stalledInterval: Math.min(30_000, policy.lockDurationMs),
    maxStalledCount: policy.maxStalledCount,
  };
}

function bullQueueOptions(prefix: string, name: QueueName) {
  return { name, prefix: queueKeyPrefix(prefix, name), defaultJobOptions: defaultJobOptionsFor(name), settings: queueSettingsFor(name) };
}

/**
 * Registers the six Bull queues from the contracts' policy and provides the producer API.
 * Both apps import it; only the worker adds QueueConsumerModule.
 */
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions): DynamicModule {
    const connections = new BullConnectionFactory(options.config, options.outagePolicy);
    const bullQueues = BullModule.registerQueue(...QUEUE_NAMES.map((name) => bullQueueOptions(options.config.prefix, name)));
    return {
      module: QueueModule,
      global: true,
      imports: [BullModule.forRoot({ createClient: connections.createClient }), bullQueues],
      providers: [
        { provide: BullConnectionFactory, useValue: connections },
        {
          provide: QueueRegistry,
          useFactory: (...queues: Queue[]) => {
            // @nestjs/bull closes each queue at shutdown with no bound (a close waiting for a job
            // that never ends held the process); QueueConnectionsCloser closes them, bounded.
            for (const queue of queues) (queue as Queue & { onApplicationShutdown?: unknown }).onApplicationShutdown = undefined;
            return new QueueRegistry(new Map(QUEUE_NAMES.map((name, i) => [name, queues[i]])));
          },
          inject: QUEUE_NAMES.map((name) => getQueueToken(name)),
        },
        {
          provide: WorkerRegistry,
          useFactory: () => new WorkerRegistry(connections.commandConnection(), options.config.prefix),
        },
        {
          provide: TrafficStore,
          useFactory: () => new TrafficStore(connections.commandConnection(), options.config.prefix),
        },
        {
          provide: ScheduleService,
          useFactory: (queues: QueueRegistry, producer: MessageQueueService) => new ScheduleService(queues, producer, connections, options.config.prefix),
          inject: [QueueRegistry, MessageQueueService],
        },
        QueueConnectionsCloser,
        MessageQueueService,
        RedisReporter,
      ],
      exports: [bullQueues, BullConnectionFactory, QueueRegistry, MessageQueueService, RedisReporter, ScheduleService, TrafficStore, WorkerRegistry],
    };
  }
}
