import { DynamicModule, Module } from '@nestjs/common';
import { DbModule } from '@mq/db';
import { MessagingModule, realtimeChannelPrefix } from '@mq/messaging';
import { NotificationsModule } from '@mq/notifications';
import { ObservabilityModule } from '@mq/observability';
import { QueueConsumerModule, QueueModule } from '@mq/queue';
import { BatchProcessor } from './processors/batch.processor';
import { CleanupProcessor } from './processors/cleanup.processor';
import { DeliveryProcessor } from './processors/delivery.processor';
import { EncryptionProcessor } from './processors/encryption.processor';
import { IndexingProcessor } from './processors/indexing.processor';
import { NotificationProcessor } from './processors/notification.processor';
import { CleanupScheduler } from './cleanup/cleanup.scheduler';
import { DeadLetterRecorder } from './dead-letters/dead-letter.recorder';
import { JobEventRecorder } from './job-events/job-event.recorder';
import { JobOutcomeSubscriber } from './job-events/job-outcome.subscriber';
import { MonitoringModule } from './monitoring/monitoring.module';
import { TrafficMeter } from './monitoring/traffic.meter';
import { BounceReceiver } from './notifications/bounce.receiver';
import { NotificationRouter } from './notifications/notification.router';
import { QuietDigestService } from './notifications/quiet-digest.service';
import { LedgerAnchorScheduler } from './ledger/ledger-anchor.scheduler';
import { OutboxRelay } from './outbox/outbox.relay';
import { ReplicationLossDetector } from './outbox/replication-loss.detector';
import { SendJobReconciler } from './outbox/send-job.reconciler';
import { WorkerHttpServer } from './worker-http.server';
import { WORKER_CONFIG, WorkerConfig } from './worker.config';

/** Every processor is always registered (the boot check sees all seven job names); WORKER_QUEUES picks what is consumed. */
const PROCESSORS = [DeliveryProcessor, NotificationProcessor, IndexingProcessor, EncryptionProcessor, BatchProcessor, CleanupProcessor];

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ObservabilityModule.forRoot({ logging: config.logging }),
        DbModule.forRoot({ ...config.database, applicationName: 'mq-worker' }),
        // A Redis blip must not fail jobs: the worker's commands wait for the reconnect.
        QueueModule.forRoot({ config: config.queue, outagePolicy: 'wait' }),
        MessagingModule.forRoot({ keyring: config.keyring, realtime: { channelPrefix: realtimeChannelPrefix(config.queue.prefix) } }),
        NotificationsModule.forRoot(config.notifications),
        QueueConsumerModule.forRoot({ queues: config.queues, shutdownTimeoutMs: config.shutdownTimeoutMs }),
        MonitoringModule.forRoot({ ...config.monitoring, queuePrefix: config.queue.prefix, queues: config.queues }),
      ],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        WorkerHttpServer,
        OutboxRelay,
        SendJobReconciler,
        ReplicationLossDetector,
        DeadLetterRecorder,
        NotificationRouter,
        QuietDigestService,
        BounceReceiver,
        CleanupScheduler,
        LedgerAnchorScheduler,
        JobEventRecorder,
        JobOutcomeSubscriber,
        TrafficMeter,
        ...PROCESSORS,
      ],
    };
  }
}
