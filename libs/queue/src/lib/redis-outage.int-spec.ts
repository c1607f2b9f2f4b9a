import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { JOB, QUEUE, QUEUE_NAMES } from '@mq/queue-contracts';
import { ThrowawayRedis, eventually, startThrowawayRedis, testQueueConfig, uniqueQueuePrefix } from '../testing';
import { HandledJob, JobHandler } from './job-handler.decorator';
import { BullConnectionFactory } from './bull-connection.factory';
import { MessageQueueService } from './message-queue.service';
import { QueueConsumerModule } from './queue-consumer.module';
import { QueueModule } from './queue.module';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

@Injectable()
class CountingProcessors {
  readonly processed = new Set<string>();
  private done(job: { id: string | number }) {
    this.processed.add(String(job.id));
    return Promise.resolve();
  }
  @JobHandler(JOB.SEND_MESSAGE) a(job: HandledJob<'send-message'>) {
    return this.done(job);
  }
  @JobHandler(JOB.DELIVERY_CONFIRMATION) b(job: HandledJob<'delivery-confirmation'>) {
    return this.done(job);
  }
  @JobHandler(JOB.SEND_NOTIFICATION) c(job: HandledJob<'send-notification'>) {
    return this.done(job);
  }
  @JobHandler(JOB.INDEX_MESSAGE) d(job: HandledJob<'index-message'>) {
    return this.done(job);
  }
  @JobHandler(JOB.ENCRYPT_DECRYPT) e(job: HandledJob<'encrypt-decrypt'>) {
    return this.done(job);
  }
  @JobHandler(JOB.BATCH_SEND) f(job: HandledJob<'batch-send'>) {
    return this.done(job);
  }
  @JobHandler(JOB.CLEANUP_MESSAGES) g(job: HandledJob<'cleanup-messages'>) {
    return this.done(job);
  }
}

/** Fault drill on a private redis-server: the shared one is never stopped. */
describe('a Redis restart', () => {
  let redis: ThrowawayRedis;
  let worker: TestingModule;
  let api: TestingModule;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    const config = testQueueConfig(uniqueQueuePrefix(), { port: redis.port, db: 0 });
    worker = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ config, outagePolicy: 'wait' }), QueueConsumerModule.forRoot({ queues: QUEUE_NAMES, shutdownTimeoutMs: 2_000 })],
      providers: [CountingProcessors],
    }).compile();
    await worker.init();
    api = await Test.createTestingModule({ imports: [QueueModule.forRoot({ config, outagePolicy: 'fail-fast' })] }).compile();
    await api.init();
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await redis?.stop();
  });

  it('is survived: the producer fails fast while Redis is down and the worker resumes by itself', async () => {
    const producer = api.get(MessageQueueService);
    const processed = worker.get(CountingProcessors).processed;
    const first = await producer.addMessageDeliveryJob({ messageIds: [id(1)] });
    await eventually(() => (processed.has(first) ? true : undefined), 'the first job');

    await redis.stop();
    const started = Date.now();
    await expect(producer.addMessageDeliveryJob({ messageIds: [id(4)] })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);

    await redis.start();
    const after = await eventually(() => producer.addMessageDeliveryJob({ messageIds: [id(5)] }).catch(() => undefined), 'the producer to reconnect', 15_000);
    await eventually(() => (processed.has(after) ? true : undefined), 'the worker to process a job after the restart', 15_000);
    expect((await producer.getQueueMetrics()).queues[QUEUE.DELIVERY].completed).toBe(1);
  }, 60_000);

  it('adds every job of a bulk add onto a Redis that lost its scripts, as a restarted one has', async () => {
    const producer = api.get(MessageQueueService);
    const processed = worker.get(CountingProcessors).processed;
    // The producer has run its scripts, so its bulk add sends them by hash; the restart's empty cache answers NOSCRIPT.
    await producer.addMany(JOB.SEND_MESSAGE, [{ messageIds: [id(10)] }, { messageIds: [id(11)] }]);
    await api.get(BullConnectionFactory).commandConnection().script('FLUSH');
    const ids = await producer.addMany(JOB.SEND_MESSAGE, [{ messageIds: [id(12)] }, { messageIds: [id(13)] }, { messageIds: [id(14)] }]);
    expect(ids).toEqual([12, 13, 14].map((n) => `deliver:${id(n)}`));
    await eventually(() => (ids.every((jobId) => processed.has(jobId)) ? true : undefined), 'every job of the bulk add to run', 15_000);
  }, 30_000);
});
