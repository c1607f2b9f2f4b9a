import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import type { Job } from 'bull';
import { JOB, JOB_NAMES, JobName, QUEUE, QUEUE_NAMES } from '@mq/queue-contracts';
import {
  ThrowawayCluster,
  ThrowawaySentinel,
  askNode,
  clusterQueueConfig,
  deleteQueueKeys,
  eventually,
  sentinelQueueConfig,
  startThrowawayCluster,
  startThrowawaySentinel,
  testQueueConfig,
  waitForQueuesIdle,
} from '../testing';
import type { QueueConfig } from './queue.config';
import { queueKeyPrefix } from './redis-keys';
import { BullConnectionFactory } from './bull-connection.factory';
import { HandledJob, JobHandler } from './job-handler.decorator';
import { MessageQueueService } from './message-queue.service';
import { QueueConsumerModule } from './queue-consumer.module';
import { QueueModule } from './queue.module';
import { QueueRegistry } from './queue.registry';
import { RedisReporter } from './redis.reporter';
import { ScheduleNotFoundError, ScheduleService } from './schedule.service';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Records every job it runs; covers all seven job names like the worker must. */
@Injectable()
class RecordingProcessors {
  readonly seen: { name: JobName; id: string; data: unknown }[] = [];
  private record(job: Job): Promise<{ ok: true }> {
    this.seen.push({ name: job.name as JobName, id: String(job.id), data: job.data });
    return Promise.resolve({ ok: true });
  }
  @JobHandler(JOB.SEND_MESSAGE) sendMessage(job: HandledJob<'send-message'>) {
    return this.record(job);
  }
  @JobHandler(JOB.DELIVERY_CONFIRMATION) confirm(job: HandledJob<'delivery-confirmation'>) {
    return this.record(job);
  }
  @JobHandler(JOB.SEND_NOTIFICATION) notify(job: HandledJob<'send-notification'>) {
    return this.record(job);
  }
  @JobHandler(JOB.INDEX_MESSAGE) index(job: HandledJob<'index-message'>) {
    return this.record(job);
  }
  @JobHandler(JOB.ENCRYPT_DECRYPT) crypt(job: HandledJob<'encrypt-decrypt'>) {
    return this.record(job);
  }
  @JobHandler(JOB.BATCH_SEND) batch(job: HandledJob<'batch-send'>) {
    return this.record(job);
  }
  @JobHandler(JOB.CLEANUP_MESSAGES) cleanup(job: HandledJob<'cleanup-messages'>) {
    return this.record(job);
  }
}

interface Topology {
  config: QueueConfig;
  cluster?: ThrowawayCluster;
  sentinel?: ThrowawaySentinel;
  close(): Promise<unknown>;
}

/** The Redis setups every behaviour below must hold on: a single server, a real 3+3 cluster, a Sentinel-watched primary. */
const TOPOLOGIES: [string, () => Promise<Topology>][] = [
  [
    'a single Redis',
    async () => {
      const config = testQueueConfig();
      return { config, close: () => deleteQueueKeys(config) };
    },
  ],
  [
    'a Redis Cluster of 3 masters and 3 replicas',
    async () => {
      const cluster = await startThrowawayCluster();
      // The cluster is this suite's own, so the product's default prefix: where its queues land is what users get.
      return { config: clusterQueueConfig(cluster, 'mq'), cluster, close: () => cluster.stop() };
    },
  ],
  [
    'a primary and a replica watched by Sentinel',
    async () => {
      const sentinel = await startThrowawaySentinel();
      return { config: sentinelQueueConfig(sentinel), sentinel, close: () => sentinel.stop() };
    },
  ],
];

describe.each(TOPOLOGIES)('QueueModule + QueueConsumerModule on %s', (label, open) => {
  const onCluster = label.includes('Cluster');
  const onSentinel = label.includes('Sentinel');
  let config: QueueConfig;
  let cluster: ThrowawayCluster | undefined;
  let sentinel: ThrowawaySentinel | undefined;
  let close: () => Promise<unknown>;
  let app: TestingModule;
  let producer: MessageQueueService;
  let registry: QueueRegistry;
  let processors: RecordingProcessors;

  beforeAll(async () => {
    ({ config, cluster, sentinel, close } = await open());
    app = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ config, outagePolicy: 'wait' }), QueueConsumerModule.forRoot({ queues: QUEUE_NAMES, shutdownTimeoutMs: 5_000 })],
      providers: [RecordingProcessors],
    }).compile();
    app.enableShutdownHooks();
    await app.init();
    producer = app.get(MessageQueueService);
    registry = app.get(QueueRegistry);
    processors = app.get(RecordingProcessors);
  });

  afterAll(async () => {
    await app?.close();
    await close?.();
  });

  const allQueues = () => registry.entries().map(([, queue]) => queue);

  it('processes one job of every kind, on the queue the contracts give it', async () => {
    const ids = await Promise.all([
      producer.addMessageDeliveryJob({ messageIds: [id(1)] }, { priority: 'high' }),
      producer.addDeliveryConfirmationJob({ receipts: [{ messageId: id(1), recipientId: id(4), status: 'delivered', at: new Date().toISOString() }] }),
      producer.addNotificationJob({ recipientId: id(4), channel: 'in_app', reason: 'offline', messageId: id(1) }),
      producer.addIndexingJob({ messageIds: [id(1)], operation: 'index', revision: 0 }),
      producer.addEncryptionJob({ rotationId: id(5), operation: 'rotate' }),
      producer.addBatchMessageJob({ batchId: id(6), chunkSize: 100, chunkDelayMs: 0 }),
      producer.addCleanupJob({ runId: id(7), cleanupType: 'all', retentionDays: 90, batchSize: 500, dryRun: true }),
    ]);
    expect(ids).toEqual([
      `deliver:${id(1)}`,
      `confirm:${id(1)}:${id(4)}:delivered`,
      `notify:${id(1)}:${id(4)}:in_app`,
      `index:${id(1)}:index:0`,
      `crypt:${id(5)}:rotate:all`,
      `batch:${id(6)}`,
      `cleanup:${id(7)}`,
    ]);
    await waitForQueuesIdle(allQueues());
    expect(processors.seen.map((s) => s.name).sort()).toEqual([...JOB_NAMES].sort());
    for (const jobId of ids) {
      const found = await registry.findJob(jobId);
      expect(found?.job.finishedOn).toBeGreaterThan(0);
      expect(await found?.job.getState()).toBe('completed');
    }
    expect((await registry.findJob(`deliver:${id(1)}`))?.queue).toBe(QUEUE.DELIVERY);
  });

  it('makes the same work one job however often it is added', async () => {
    const payload = { messageIds: [id(11), id(12)] };
    const before = processors.seen.length;
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => producer.addMessageDeliveryJob(payload)));
    expect(new Set(ids).size).toBe(1);
    await waitForQueuesIdle(allQueues());
    expect(processors.seen.slice(before).filter((s) => s.id === ids[0])).toHaveLength(1);
  });

  it('refuses a payload with content before anything reaches Redis', async () => {
    const bad = { messageIds: [id(12)], content: 'secret words' };
    await expect(producer.add(JOB.SEND_MESSAGE, bad as never)).rejects.toThrow(/property content should not exist/);
    expect(await registry.findJob(`deliver:${id(12)}`)).toBeUndefined();
  });

  it('fails at once, without retries, a job whose payload breaks the contract', async () => {
    // Written straight to Bull, as an old or foreign producer might.
    const queue = registry.get(QUEUE.DELIVERY);
    await queue.add(JOB.SEND_MESSAGE, { messageIds: ['nope'] }, { jobId: 'deliver:broken', attempts: 5 });
    const failed = await eventually(async () => {
      const job = await queue.getJob('deliver:broken');
      // Read the job again once failed: the first read may predate the failure.
      return job && (await job.getState()) === 'failed' ? ((await queue.getJob('deliver:broken')) ?? undefined) : undefined;
    }, 'the broken job to fail');
    expect(failed.attemptsMade).toBe(1);
    expect(await queue.getDelayedCount()).toBe(0);
    expect(failed.failedReason).toMatch(/each value in messageIds must be a UUID/);
    const failedJobs = await producer.getFailedJobs(QUEUE.DELIVERY);
    expect(failedJobs.map((j) => j.id)).toContain('deliver:broken');
  });

  it('serves higher priority first', async () => {
    const queue = registry.get(QUEUE.CLEANUP);
    await producer.pauseQueue(QUEUE.CLEANUP);
    const job = (n: number) => ({ runId: id(100 + n), cleanupType: 'all' as const, retentionDays: 30, batchSize: 10, dryRun: true });
    await producer.addCleanupJob(job(1), { priority: 'low' });
    await producer.addCleanupJob(job(2), { priority: 'normal' });
    await producer.addCleanupJob(job(3), { priority: 'high' });
    expect((await producer.getQueueHealth(QUEUE.CLEANUP)).paused).toBe(true);
    const before = processors.seen.length;
    await producer.resumeQueue(QUEUE.CLEANUP);
    await waitForQueuesIdle([queue]);
    expect(processors.seen.slice(before).map((s) => s.id)).toEqual([`cleanup:${id(103)}`, `cleanup:${id(102)}`, `cleanup:${id(101)}`]);
  });

  it('reports counts that equal what Bull holds', async () => {
    await producer.addMessageDeliveryJob({ messageIds: [id(20)] }, { delayMs: 60_000 });
    const metrics = await producer.getQueueMetrics();
    expect(Object.keys(metrics.queues).sort()).toEqual([...QUEUE_NAMES].sort());
    for (const [name, queue] of registry.entries()) {
      const counts = await queue.getJobCounts();
      expect(metrics.queues[name]).toMatchObject({ completed: counts.completed, failed: counts.failed, delayed: counts.delayed });
    }
    expect(metrics.queues[QUEUE.DELIVERY].delayed).toBe(1);
    expect(metrics.queues[QUEUE.DELIVERY].failed).toBe(1);
    expect(metrics.totals.completed).toBe(QUEUE_NAMES.reduce((sum, q) => sum + metrics.queues[q].completed, 0));
    const health = await producer.getQueuesHealth();
    expect(Object.keys(health.queues)).toHaveLength(6);
  });
  it('adds a bulk of jobs in one call and runs each once', async () => {
    const before = processors.seen.length;
    const payloads = Array.from({ length: 200 }, (_, n) => ({ messageIds: [id(1_000 + n)] }));
    const ids = await producer.addMany(JOB.SEND_MESSAGE, payloads);
    expect(new Set(ids).size).toBe(200);
    // The delayed job of the test before stays delayed.
    await waitForQueuesIdle(allQueues(), { includeDelayed: false });
    const ran = processors.seen.slice(before).map((s) => s.id);
    expect(ran.sort()).toEqual([...ids].sort());
  });

  it('lists a schedule with its next run, pauses it (kept paused), resumes it, and runs it once now without moving the next run', async () => {
    const schedules = app.get(ScheduleService);
    const data = { runId: id(3_001), cleanupType: 'all' as const, retentionDays: 30, batchSize: 100, dryRun: true };
    await producer.addCleanupJob(data, { repeat: { cron: '0 3 * * *', tz: 'Europe/London' }, jobId: 'spec-nightly' });
    const [active] = (await schedules.list()).filter((schedule) => schedule.name === JOB.CLEANUP_MESSAGES);
    expect(active).toMatchObject({ queue: QUEUE.CLEANUP, cron: '0 3 * * *', timeZone: 'Europe/London', status: 'active', lastRun: null });
    expect(Date.parse(active?.nextRunAt ?? '')).toBeGreaterThan(Date.now());
    const key = active?.key as string;

    await schedules.pause(key);
    expect((await schedules.list()).filter((s) => s.key === key)).toEqual([expect.objectContaining({ status: 'paused', nextRunAt: null })]);
    expect(await registry.get(QUEUE.CLEANUP).getRepeatableJobs()).toEqual([]);
    expect(await registry.get(QUEUE.CLEANUP).getDelayed()).toEqual([]);
    expect(await schedules.isPaused(JOB.CLEANUP_MESSAGES)).toBe(true);
    await expect(schedules.pause(key)).rejects.toThrow(ScheduleNotFoundError);

    await schedules.resume(key);
    expect(await schedules.isPaused(JOB.CLEANUP_MESSAGES)).toBe(false);
    expect((await schedules.list()).filter((s) => s.key === key)).toEqual([expect.objectContaining({ status: 'active' })]);

    const nextBefore = (await schedules.list()).find((s) => s.key === key)?.nextRunAt;
    const ran = await schedules.runNow(key);
    expect(ran).toMatch(/^manual-[0-9a-f]{16}-\d+$/);
    await eventually(() => (processors.seen.some((seen) => seen.id === ran) ? true : undefined), 'the occurrence run now');
    expect(processors.seen.find((seen) => seen.id === ran)?.data).toEqual(data);
    // The run is the schedule's last, and the next scheduled run has not moved.
    const after = await eventually(async () => {
      const listed = (await schedules.list()).find((s) => s.key === key);
      return listed?.lastRun?.jobId === ran ? listed : undefined;
    }, 'the last run listed');
    expect(after).toMatchObject({ status: 'active', lastRun: { state: 'completed' } });
    expect(after.nextRunAt).toBe(nextBefore);
    await registry.get(QUEUE.CLEANUP).removeRepeatableByKey(key);
    for (const job of await registry.get(QUEUE.CLEANUP).getDelayed()) await job.remove();
  });

  it('reports every Redis node the queues use, and the jobs each queue holds', async () => {
    const report = await app.get(RedisReporter).report();
    expect(report.mode).toBe(onCluster ? 'cluster' : onSentinel ? 'sentinel' : 'single');
    expect(report.nodes.map((node) => node.role)).toEqual(onCluster ? ['master', 'master', 'master'] : ['master']);
    expect(report.nodes.map((node) => node.connectedReplicas)).toEqual(onCluster ? [1, 1, 1] : onSentinel ? [1] : [0]);
    for (const node of report.nodes) expect(node).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+/), usedMemoryBytes: expect.any(Number) });
    expect(Object.keys(report.jobsPerQueue).sort()).toEqual([...QUEUE_NAMES].sort());
    const delivery = await registry.get(QUEUE.DELIVERY).getJobCounts();
    expect(report.jobsPerQueue[QUEUE.DELIVERY]).toBe(Object.values(delivery).reduce((sum, n) => sum + n, 0));
  });

  (onCluster ? it : it.skip)('keeps each queue on one slot of its own, and spreads the queues over every master', async () => {
    if (!cluster) throw new Error('no cluster');
    const seed = registry.get(QUEUE.DELIVERY).client;
    const slotOf = async (key: string) => Number(await seed.call('CLUSTER', 'KEYSLOT', key));
    const masters = new Map<string, string[]>();
    for (const name of QUEUE_NAMES) {
      const queue = registry.get(name);
      // Every key Bull made for the queue (its wait, active, completed, id and job hashes) hashes to the queue's tag.
      const slots = new Set(await Promise.all(['wait', 'active', 'completed', 'id', 'meta', 'anything:1'].map((suffix) => slotOf(queue.toKey(suffix)))));
      expect(slots.size).toBe(1);
      const [slot = -1] = [...slots];
      expect(slot).toBe(await slotOf(`${queueKeyPrefix('mq', name)}:x`));
      const master = await cluster.masterOf(slot);
      masters.set(master.id, [...(masters.get(master.id) ?? []), name]);
    }
    // Every master that serves slots holds at least one queue.
    const serving = (await cluster.topology()).filter((node) => node.role === 'master' && node.slots.length > 0);
    expect(serving).toHaveLength(3);
    expect(masters.size).toBe(serving.length);
  });

  (onSentinel ? it : it.skip)('follows a failover to the promoted replica: jobs before it kept, jobs after it run', async () => {
    if (!sentinel) throw new Error('no sentinel');
    const before = await producer.addMessageDeliveryJob({ messageIds: [id(2_001)] });
    await waitForQueuesIdle(allQueues(), { includeDelayed: false });
    const promoted = await sentinel.failover();
    // The old primary answers READONLY, or Sentinel cuts its clients: either way the connections
    // ask the Sentinel again and carry on with the promoted replica.
    const after = await producer.addMessageDeliveryJob({ messageIds: [id(2_002)] });
    await eventually(() => (processors.seen.some((seen) => seen.id === after) ? true : undefined), 'the job added after the failover to run', 30_000);
    expect(await askNode(promoted, 'EXISTS', registry.get(QUEUE.DELIVERY).toKey(after))).toBe('1');
    expect(await (await registry.findJob(before))?.job.getState()).toBe('completed');
    expect(await sentinel.primaryPort()).toBe(promoted);
  });
});

describe('the consumer refuses to boot without exactly one handler per job', () => {
  @Injectable()
  class OnlyDelivery {
    @JobHandler(JOB.SEND_MESSAGE) send(_job: HandledJob<'send-message'>) {
      return Promise.resolve();
    }
  }
  @Injectable()
  class AlsoDelivery {
    @JobHandler(JOB.SEND_MESSAGE) sendAgain(_job: HandledJob<'send-message'>) {
      return Promise.resolve();
    }
  }
  @Module({ providers: [OnlyDelivery, AlsoDelivery] })
  class Incomplete {}

  it('names the missing and the doubled job names', async () => {
    const config = testQueueConfig();
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRoot({ config, outagePolicy: 'wait' }),
        QueueConsumerModule.forRoot({ queues: [QUEUE.DELIVERY], shutdownTimeoutMs: 1_000 }),
        Incomplete,
      ],
    }).compile();
    try {
      await expect(moduleRef.init()).rejects.toThrow(
        /job "send-message" has 2 processors: OnlyDelivery.send, AlsoDelivery.sendAgain.*job "delivery-confirmation" \(queue message-delivery\) has no processor/,
      );
    } finally {
      // close() would rethrow the failed init: release what the module opened by hand.
      await Promise.all(
        moduleRef
          .get(QueueRegistry)
          .entries()
          .map(([, queue]) => queue.close()),
      );
      await moduleRef.get(BullConnectionFactory).closeAll();
      await deleteQueueKeys(config);
    }
  });
});

describe('graceful shutdown', () => {
  @Injectable()
  class SlowDelivery extends RecordingProcessors {
    readonly finished: string[] = [];
    /** Lets the held job finish; until then it stays active, however long the shutdown takes to begin. */
    release!: () => void;
    private readonly held = new Promise<void>((resolve) => (this.release = resolve));
    @JobHandler(JOB.SEND_MESSAGE)
    override async sendMessage(job: HandledJob<'send-message'>) {
      await this.held;
      this.finished.push(String(job.id));
      return { ok: true as const };
    }
  }

  const config = testQueueConfig();
  const open = new Set<TestingModule>();
  let holding: SlowDelivery | undefined;

  afterAll(async () => {
    // What a failed test left open: its held job, its modules (their queues and connections), its keys.
    holding?.release();
    for (const moduleRef of open) await moduleRef.close();
    await deleteQueueKeys(config);
  });

  /** A consumer of the delivery queue whose send job is held, with that job active. */
  const holdAJob = async (shutdownTimeoutMs: number, messageId: string) => {
    const moduleRef = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ config, outagePolicy: 'wait' }), QueueConsumerModule.forRoot({ queues: [QUEUE.DELIVERY], shutdownTimeoutMs })],
      providers: [SlowDelivery],
    }).compile();
    open.add(moduleRef);
    await moduleRef.init();
    const slow = moduleRef.get(SlowDelivery);
    holding = slow;
    const jobId = await moduleRef.get(MessageQueueService).addMessageDeliveryJob({ messageIds: [messageId] });
    const queue = moduleRef.get(QueueRegistry).get(QUEUE.DELIVERY);
    await eventually(async () => ((await queue.getActiveCount()) === 1 ? true : undefined), 'the job to start');
    return { moduleRef, slow, jobId, queue };
  };

  it('lets the active job finish before the queues close', async () => {
    const { moduleRef, slow, jobId, queue } = await holdAJob(10_000, id(900));
    let closed = false;
    const closing = moduleRef.close().then(() => {
      closed = true;
      open.delete(moduleRef);
    });
    // Bull's close() sets `closing` as it begins: from then on it must wait for the held job.
    await eventually(() => ((queue as typeof queue & { closing?: Promise<void> }).closing ? true : undefined), 'the shutdown to reach the queue');
    expect(closed).toBe(false);
    slow.release();
    await closing;
    expect(slow.finished).toEqual([jobId]);

    // Read back with a fresh producer: the job is recorded as completed, not left active.
    const reader = await Test.createTestingModule({ imports: [QueueModule.forRoot({ config, outagePolicy: 'fail-fast' })] }).compile();
    open.add(reader);
    await reader.init();
    const job = await reader.get(QueueRegistry).get(QUEUE.DELIVERY).getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    await reader.close();
    open.delete(reader);
  });

  it('does not wait past its timeout for a job that never ends: the connections are cut and the job stays active for another worker', async () => {
    const { moduleRef, slow, jobId } = await holdAJob(500, id(901));
    // The held job is never released here: close() settles all the same (a hang fails the test).
    await moduleRef.close();
    open.delete(moduleRef);
    expect(slow.finished).toEqual([]);

    const reader = await Test.createTestingModule({ imports: [QueueModule.forRoot({ config, outagePolicy: 'fail-fast' })] }).compile();
    open.add(reader);
    await reader.init();
    expect(await (await reader.get(QueueRegistry).get(QUEUE.DELIVERY).getJob(jobId))?.getState()).toBe('active');
    await reader.close();
    open.delete(reader);
  });
});
