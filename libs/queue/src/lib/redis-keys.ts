import type { QueueName } from '@mq/queue-contracts';

/*
 * Every Redis key name of the product is made here. On a cluster, a key's slot is the hash of
 * its first `{…}` (its hash tag): keys that one command or script touches together must share
 * a tag, and keys that are independent should not, so they spread over the masters.
 */

/**
 * Bull's key prefix for one queue: a hash tag of its own. Bull 4's scripts touch many keys of
 * one queue at once (so they must share a slot) but never two queues (so the six queues can
 * live on different masters). The same on a single server, so there is one naming.
 */
export function queueKeyPrefix(prefix: string, queue: QueueName): string {
  return `{${prefix}:${queue}}`;
}

/**
 * A counter on the same slot (so the same master and replication stream) as a queue's jobs,
 * outside Bull's own names so that emptying or obliterating the queue leaves it: if it ever
 * goes back, that master lost acknowledged writes (see ReplicationLossDetector in the worker).
 */
export function queueWitnessKey(prefix: string, queue: QueueName): string {
  return `${queueKeyPrefix(prefix, queue)}:outbox-witness`;
}

/** A key about one user (rate limits, presence, session state): tagged by user, so users spread over a cluster. */
export function userKey(prefix: string, userId: string, ...parts: readonly (string | number)[]): string {
  return `${prefix}:{u:${userId}}:${parts.join(':')}`;
}

/** SCAN patterns matching every key of a prefix: the queues' (`{prefix:…`) and the rest (`prefix:…`). */
export function keyPatternsOf(prefix: string): string[] {
  return [`{${prefix}:*`, `${prefix}:*`];
}

/** The hash of live worker processes, one field per process (its heartbeat, JSON). */
export function workerRegistryKey(prefix: string): string {
  return `${prefix}:workers`;
}

/** The hash of paused schedules (repeatable jobs taken off Bull), one field per schedule key. */
export function pausedSchedulesKey(prefix: string): string {
  return `${prefix}:paused-schedules`;
}

/** The hash of traffic counts: messages and latency buckets per minute (`<minute>:m`, `<minute>:<bucket>`), written by every worker. */
export function trafficKey(prefix: string): string {
  return `${prefix}:traffic`;
}
