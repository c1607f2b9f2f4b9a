import { JOB_PRIORITY, JobPriority } from './job-priority';
import { QUEUE, QueueName } from './queue-names';

export interface QueuePolicy {
  /** Jobs one worker process runs at once on this queue. */
  concurrency: number;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delayMs: number };
  /** A job running longer than this fails (and is retried under `attempts`). */
  timeoutMs: number;
  /** Priority when the producer does not give one. */
  defaultPriority: JobPriority;
  /** Completed jobs kept for the console; history beyond this lives in Postgres. */
  keepCompleted: { maxAgeSeconds: number; maxCount: number };
  /** Failed jobs kept so operators can see and retry them; dead letters keep them for good. */
  keepFailed: { maxAgeSeconds: number; maxCount: number };
  /** How long a worker's lock on an active job lasts before it counts as stalled. */
  lockDurationMs: number;
  /** A job that stalls this many times is failed instead of retried forever. */
  maxStalledCount: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const FAILED_VISIBLE_FOR = 7 * DAY;

/**
 * One policy per queue, exhaustive: a queue added to QUEUE without its policy does not
 * compile. Concurrency, attempts, backoff and timeouts are the README's queue table.
 */
export const QUEUE_POLICY: { readonly [Q in QueueName]: Readonly<Required<QueuePolicy>> } = Object.freeze({
  [QUEUE.DELIVERY]: {
    concurrency: 10,
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
    timeoutMs: 30_000,
    defaultPriority: JOB_PRIORITY.NORMAL,
    // A busy api's jobs carry hundreds of messages (or receipts) each, up to ~85 KB: a thousand
    // completed ones are tens of thousands of messages, and Redis stays bounded (the soak).
    keepCompleted: { maxAgeSeconds: HOUR, maxCount: 1_000 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 10_000 },
    // Deliveries take milliseconds: a short lock means a crashed worker's jobs are retried within seconds.
    lockDurationMs: 10_000,
    maxStalledCount: 2,
  },
  [QUEUE.NOTIFICATION]: {
    concurrency: 15,
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 1_000 },
    timeoutMs: 20_000,
    defaultPriority: JOB_PRIORITY.NORMAL,
    keepCompleted: { maxAgeSeconds: HOUR, maxCount: 5_000 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 10_000 },
    lockDurationMs: 30_000,
    maxStalledCount: 2,
  },
  [QUEUE.INDEXING]: {
    concurrency: 3,
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 3_000 },
    timeoutMs: 60_000,
    defaultPriority: JOB_PRIORITY.NORMAL,
    keepCompleted: { maxAgeSeconds: HOUR, maxCount: 2_000 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 10_000 },
    lockDurationMs: 60_000,
    maxStalledCount: 2,
  },
  [QUEUE.ENCRYPTION]: {
    concurrency: 5,
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 2_000 },
    timeoutMs: 45_000,
    defaultPriority: JOB_PRIORITY.NORMAL,
    keepCompleted: { maxAgeSeconds: DAY, maxCount: 1_000 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 5_000 },
    // Rotation steps are short transactions: a crashed worker's step is picked up again soon.
    lockDurationMs: 15_000,
    maxStalledCount: 2,
  },
  [QUEUE.BATCH]: {
    concurrency: 2,
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 5_000 },
    timeoutMs: 5 * 60_000,
    defaultPriority: JOB_PRIORITY.LOW,
    keepCompleted: { maxAgeSeconds: 7 * DAY, maxCount: 1_000 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 1_000 },
    lockDurationMs: 60_000,
    maxStalledCount: 2,
  },
  [QUEUE.CLEANUP]: {
    concurrency: 1,
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 10_000 },
    timeoutMs: 10 * 60_000,
    defaultPriority: JOB_PRIORITY.LOW,
    keepCompleted: { maxAgeSeconds: 30 * DAY, maxCount: 100 },
    keepFailed: { maxAgeSeconds: FAILED_VISIBLE_FOR, maxCount: 100 },
    lockDurationMs: 120_000,
    maxStalledCount: 1,
  },
});
