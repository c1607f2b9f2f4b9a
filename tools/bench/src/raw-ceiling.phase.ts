import Bull from 'bull';
import { QUEUE, QUEUE_POLICY } from '@mq/queue-contracts';
import { defaultJobOptionsFor, queueSettingsFor } from '@mq/queue';
import { deleteQueueKeys, testQueueConfig, uniqueQueuePrefix } from '@mq/queue/testing';
import type { RedisTarget } from './bench.cli';
import { ProgressBar } from './progress.bar';
import { round } from './process.probe';
import { sleep } from './stats.math';

export interface CeilingRun {
  /** `policy`: the delivery queue's job options and lock settings; `bare`: Bull's defaults. */
  variant: 'policy' | 'bare';
  jobs: number;
  /** add() alone (no consumer), jobs/s. */
  addPerSecond: number;
  /** Draining a full queue with the consumer alone, jobs/s. */
  processPerSecond: number;
  /** Adding and processing at once (what the pipeline does), first add to last completion, jobs/s. */
  combinedPerSecond: number;
}

export interface CeilingResult {
  concurrency: number;
  addsInFlight: number;
  runs: CeilingRun[];
  /** The combined rate with the delivery queue's options: the pipeline's ceiling on this Redis. */
  ceilingPerSecond: number;
}

const ADDS_IN_FLIGHT = 64;
const JOB_NAME = 'noop';

function queueOptions(variant: CeilingRun['variant'], redis: RedisTarget, prefix: string): Bull.QueueOptions {
  const base: Bull.QueueOptions = { prefix, redis: { host: redis.host, port: redis.port, db: redis.db, username: redis.username, password: redis.password } };
  if (variant === 'bare') return { ...base, defaultJobOptions: { removeOnComplete: true } };
  return { ...base, defaultJobOptions: defaultJobOptionsFor(QUEUE.DELIVERY), settings: queueSettingsFor(QUEUE.DELIVERY) };
}

async function addAll(queue: Bull.Queue, from: number, count: number, onAdded: (n: number) => void): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: ADDS_IN_FLIGHT }, async () => {
      for (let i = next++; i < end; i = next++) {
        // Deterministic ids like the pipeline's (`deliver:<messageId>`): Bull checks them on add.
        await queue.add(JOB_NAME, { i }, { jobId: `noop:${i}` });
        onAdded(1);
      }
    }),
  );
}

async function runVariant(variant: CeilingRun['variant'], jobs: number, redis: RedisTarget, progress: ProgressBar, step: number): Promise<CeilingRun> {
  const prefix = uniqueQueuePrefix('bench-ceiling');
  const queue = new Bull(`bench-ceiling-${variant}`, queueOptions(variant, redis, prefix));
  const concurrency = QUEUE_POLICY[QUEUE.DELIVERY].concurrency;
  let added = 0;
  let completed = 0;
  const report = (): void => progress.update(step * 4 * jobs + added + completed, `${variant}: added ${added}, processed ${completed}`);
  try {
    await queue.isReady();
    // 1. add only: nothing consumes yet.
    let t0 = performance.now();
    await addAll(queue, 0, jobs, (n) => {
      added += n;
      report();
    });
    const addSeconds = (performance.now() - t0) / 1000;

    // 2. drain the full queue with the consumer alone.
    let done: () => void = () => undefined;
    let target = jobs;
    const finished = new Promise<void>((resolve) => (done = resolve));
    queue.on('completed', () => {
      completed += 1;
      report();
      if (completed === target) done();
    });
    t0 = performance.now();
    void queue.process(JOB_NAME, concurrency, async () => undefined);
    await finished;
    const processSeconds = (performance.now() - t0) / 1000;

    // 3. add and process at once.
    target = 2 * jobs;
    const bothDone = new Promise<void>((resolve) => (done = resolve));
    t0 = performance.now();
    await addAll(queue, jobs, jobs, (n) => {
      added += n;
      report();
    });
    await bothDone;
    const combinedSeconds = (performance.now() - t0) / 1000;
    return {
      variant,
      jobs,
      addPerSecond: round(jobs / addSeconds),
      processPerSecond: round(jobs / processSeconds),
      combinedPerSecond: round(jobs / combinedSeconds),
    };
  } finally {
    await queue.close().catch(() => undefined);
    await sleep(50);
    await deleteQueueKeys(testQueueConfig(prefix, { host: redis.host, port: redis.port, db: redis.db })).catch(() => undefined);
  }
}

/**
 * The raw ceiling: Bull 4 no-op jobs on the same Redis, with the delivery queue's concurrency,
 * on a queue and prefix of their own. Run once with the delivery queue's options (priority,
 * attempts, timeout, retention: what every pipeline job pays) and once bare, for reference.
 */
export async function measureRawCeiling(redis: RedisTarget, jobs: number, progress: ProgressBar): Promise<CeilingResult> {
  progress.phase('raw Bull ceiling', 2 * 4 * jobs);
  const policy = await runVariant('policy', jobs, redis, progress, 0);
  const bare = await runVariant('bare', jobs, redis, progress, 1);
  progress.done(`${policy.combinedPerSecond} jobs/s add+process (delivery options), ${bare.combinedPerSecond} bare`);
  return {
    concurrency: QUEUE_POLICY[QUEUE.DELIVERY].concurrency,
    addsInFlight: ADDS_IN_FLIGHT,
    runs: [policy, bare],
    ceilingPerSecond: policy.combinedPerSecond,
  };
}
