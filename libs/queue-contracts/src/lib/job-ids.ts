import { JOB_DEFINITIONS, JobPayload } from './job-map';
import { JOB, JobName } from './job-names';
import { QueueName } from './queue-names';

/*
 * Job ids are deterministic and globally unique across queues: enqueueing the same work
 * twice (the api's fast path and the outbox relay, a retried request, two api instances)
 * gives one job, and an id alone tells which queue holds it.
 */
const BUILD_JOB_ID: { readonly [N in JobName]: (payload: JobPayload<N>) => string } = Object.freeze({
  [JOB.SEND_MESSAGE]: (p) => listKey(p.messageIds),
  [JOB.DELIVERY_CONFIRMATION]: (p) => listKey(p.receipts.map((r) => `${r.messageId}:${r.recipientId}:${r.status}`)),
  [JOB.SEND_NOTIFICATION]: (p) => `${notificationSubject(p)}:${p.recipientId}:${p.channel}`,
  [JOB.INDEX_MESSAGE]: (p) => `${listKey(p.messageIds)}:${p.operation}:${p.revision}`,
  [JOB.ENCRYPT_DECRYPT]: (p) => `${p.rotationId}:${p.operation}:${p.conversationId ?? 'all'}`,
  [JOB.BATCH_SEND]: (p) => p.batchId,
  [JOB.CLEANUP_MESSAGES]: (p) => p.runId,
});

function notificationSubject(p: JobPayload<'send-notification'>): string {
  // One fallback per notification and channel, however often its bounce is reported.
  if (p.fallbackOf) return `fallback-${p.fallbackOf}`;
  if (p.reason === 'quiet-hours') return `quiet-${p.window ?? 0}`;
  if (p.conversationId) return `unread-${p.conversationId}-${p.window ?? 0}`;
  if (p.messageId) return p.messageId;
  return p.window !== undefined ? `digest-${p.window}` : p.reason;
}

/**
 * A list's part of a job id: the item itself for a list of one (`deliver:<messageId>`, as a
 * single job always was), else the first item, how many more, and a fingerprint of them all,
 * so two different lists never share an id and the same list always gets the same one.
 */
function listKey(keys: readonly string[]): string {
  const [first = ''] = keys;
  return keys.length <= 1 ? first : `${first}+${keys.length - 1}.${fingerprint(keys.join(','))}`;
}

/** 64-bit non-cryptographic hash (two 32-bit lanes, cyrb53-style mixing), as 16 hex digits. Runs in browsers too. */
export function fingerprint(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

export function jobIdFor<N extends JobName>(name: N, payload: JobPayload<N>): string {
  const build = BUILD_JOB_ID[name] as (payload: JobPayload<N>) => string;
  return `${JOB_DEFINITIONS[name].idPrefix}:${build(payload)}`;
}

const QUEUE_BY_ID_PREFIX: ReadonlyMap<string, QueueName> = new Map(Object.values(JOB_DEFINITIONS).map((definition) => [definition.idPrefix, definition.queue]));

/**
 * The queue a job id belongs to, from its prefix; undefined for ids this system did not
 * mint (Bull's `repeat:` ids of scheduled jobs), which callers look up in every queue.
 */
export function queueOfJobId(jobId: string): QueueName | undefined {
  const separator = jobId.indexOf(':');
  return separator > 0 ? QUEUE_BY_ID_PREFIX.get(jobId.slice(0, separator)) : undefined;
}
