import { JOB_DEFINITIONS, JobPayload } from './job-map';
import { JOB, JobName } from './job-names';
import { QueueName } from './queue-names';

/*
 * Job ids are deterministic and globally unique across queues: enqueueing the same work
 * twice (the api's fast path and the outbox relay, a retried request, two api instances)
 * gives one job, and an id alone tells which queue holds it.
 */
const BUILD_JOB_ID: { readonly [N in JobName]: (payload: JobPayload<N>) => string } = Object.freeze({
  [JOB.SEND_MESSAGE]: (p) => p.messageId,
  [JOB.DELIVERY_CONFIRMATION]: (p) => `${p.messageId}:${p.recipientId}:${p.status}`,
  [JOB.SEND_NOTIFICATION]: (p) =>
    `${p.messageId ?? (p.digestWindow !== undefined ? `digest-${p.digestWindow}` : p.reason)}:${p.recipientId}:${p.channel}`,
  [JOB.INDEX_MESSAGE]: (p) => `${p.messageId}:${p.operation}:${p.revision}`,
  [JOB.ENCRYPT_DECRYPT]: (p) => `${p.rotationId}:${p.operation}:${p.conversationId ?? 'all'}`,
  [JOB.BATCH_SEND]: (p) => p.batchId,
  [JOB.CLEANUP_MESSAGES]: (p) => p.runId,
});

export function jobIdFor<N extends JobName>(name: N, payload: JobPayload<N>): string {
  const build = BUILD_JOB_ID[name] as (payload: JobPayload<N>) => string;
  return `${JOB_DEFINITIONS[name].idPrefix}:${build(payload)}`;
}

const QUEUE_BY_ID_PREFIX: ReadonlyMap<string, QueueName> = new Map(
  Object.values(JOB_DEFINITIONS).map((definition) => [definition.idPrefix, definition.queue]),
);

/**
 * The queue a job id belongs to, from its prefix; undefined for ids this system did not
 * mint (Bull's `repeat:` ids of scheduled jobs), which callers look up in every queue.
 */
export function queueOfJobId(jobId: string): QueueName | undefined {
  const separator = jobId.indexOf(':');
  return separator > 0 ? QUEUE_BY_ID_PREFIX.get(jobId.slice(0, separator)) : undefined;
}
