import { JOB, JobName } from './job-names';
import { BatchMessageJob, CleanupJob, DeliveryConfirmationJob, EncryptionJob, IndexingJob, NotificationJob, SendMessageJob } from './job-payloads';
import { QUEUE, QueueName } from './queue-names';

/**
 * The one job map: job name -> payload type -> queue. Producers (`MessageQueueService`) and
 * consumers (`@JobHandler`) are both typed from it, so a payload of the wrong shape, a job on
 * the wrong queue, or a handler for a job that does not exist fails to compile.
 */
export const JOB_DEFINITIONS = Object.freeze({
  [JOB.SEND_MESSAGE]: { queue: QUEUE.DELIVERY, payload: SendMessageJob, idPrefix: 'deliver' },
  [JOB.DELIVERY_CONFIRMATION]: {
    queue: QUEUE.DELIVERY,
    payload: DeliveryConfirmationJob,
    idPrefix: 'confirm',
  },
  [JOB.SEND_NOTIFICATION]: { queue: QUEUE.NOTIFICATION, payload: NotificationJob, idPrefix: 'notify' },
  [JOB.INDEX_MESSAGE]: { queue: QUEUE.INDEXING, payload: IndexingJob, idPrefix: 'index' },
  [JOB.ENCRYPT_DECRYPT]: { queue: QUEUE.ENCRYPTION, payload: EncryptionJob, idPrefix: 'crypt' },
  [JOB.BATCH_SEND]: { queue: QUEUE.BATCH, payload: BatchMessageJob, idPrefix: 'batch' },
  [JOB.CLEANUP_MESSAGES]: { queue: QUEUE.CLEANUP, payload: CleanupJob, idPrefix: 'cleanup' },
} as const satisfies {
  readonly [N in JobName]: {
    readonly queue: QueueName;
    readonly payload: abstract new () => object;
    readonly idPrefix: string;
  };
});

type Definitions = typeof JOB_DEFINITIONS;

/** The payload type of a job name. */
export type JobPayload<N extends JobName> = InstanceType<Definitions[N]['payload']>;

/** The queue a job name runs on. */
export type QueueOfJob<N extends JobName> = Definitions[N]['queue'];

/** The job names that run on a queue. */
export type JobsOfQueue<Q extends QueueName> = {
  [N in JobName]: QueueOfJob<N> extends Q ? N : never;
}[JobName];

export function queueOfJob<N extends JobName>(name: N): QueueOfJob<N> {
  return JOB_DEFINITIONS[name].queue;
}

export function jobsOfQueue<Q extends QueueName>(queue: Q): JobsOfQueue<Q>[] {
  return (Object.keys(JOB_DEFINITIONS) as JobName[]).filter((name): name is JobsOfQueue<Q> => JOB_DEFINITIONS[name].queue === queue);
}
