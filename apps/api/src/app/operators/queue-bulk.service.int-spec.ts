import { Test, TestingModule } from '@nestjs/testing';
import type { Queue } from 'bull';
import { QUEUE } from '@mq/queue-contracts';
import { QueueModule, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, testQueueConfig } from '@mq/queue/testing';
import { QueueBulkService } from './queue-bulk.service';

describe('QueueBulkService against real Redis', () => {
  const config = testQueueConfig();
  let app: TestingModule;
  let queue: Queue;
  let service: QueueBulkService;

  beforeAll(async () => {
    app = await Test.createTestingModule({ imports: [QueueModule.forRoot({ config, outagePolicy: 'fail-fast' })], providers: [QueueBulkService] }).compile();
    await app.init();
    queue = app.get(QueueRegistry).get(QUEUE.NOTIFICATION);
    service = app.get(QueueBulkService);
  });

  afterAll(async () => {
    await app?.close();
    await deleteQueueKeys(config);
  });

  it('cleans 1,234 failed jobs in rounds of at most 500, so Redis never runs one long command, after a dry run that only counts', async () => {
    // Failed jobs as Bull stores them: a job hash and the failed sorted set.
    const finishedOn = Date.now() - 60_000;
    const pipeline = queue.client.pipeline();
    for (let i = 0; i < 1_234; i++) {
      const id = `notify:bulk-${i}`;
      pipeline.hset(queue.toKey(id), {
        name: 'send-notification',
        data: '{}',
        opts: '{}',
        timestamp: finishedOn - 1_000,
        attemptsMade: 3,
        failedReason: 'x',
        finishedOn,
      });
      pipeline.zadd(queue.toKey('failed'), finishedOn, id);
    }
    await pipeline.exec();

    expect(await service.clean(QUEUE.NOTIFICATION, 'failed', 0, true)).toBe(1_234);
    expect(await queue.getFailedCount()).toBe(1_234);

    const clean = jest.spyOn(queue, 'clean');
    expect(await service.clean(QUEUE.NOTIFICATION, 'failed', 0, false)).toBe(1_234);
    expect(clean.mock.calls.map(([, state, limit]) => [state, limit])).toEqual([
      ['failed', 500],
      ['failed', 500],
      ['failed', 500],
    ]);
    expect(await queue.getFailedCount()).toBe(0);
  });
});
