import { QUEUE } from '@mq/queue-contracts';
import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { startTcpProxy } from '../tcp-proxy';
import { apiUrls, withStack } from './drill.stack';

const PARTITION_MS = 15_000;

/**
 * The worker's link to Redis cut for 15 s mid-load (its connections dropped and new ones left
 * unanswered, through a proxy the drill controls), then restored. The api keeps accepting;
 * jobs the worker held when the link went are taken back when their locks expire.
 */
export const redisPartitionDrill: Drill = {
  name: 'redis-partition',
  title: "the worker's link to Redis cut for 15 s mid-load, then restored",
  run: (context) =>
    withStack({ apis: 1 }, async (stack) => {
      const proxy = await startTcpProxy(stack.queue.redis.port, stack.queue.redis.host);
      let pairs: Pair[] = [];
      try {
        const worker = stack.worker;
        if (!worker) throw new Error('the drill needs a worker');
        // Only the worker goes through the proxy; the api keeps its own link.
        await worker.kill('SIGTERM');
        worker.setEnv({ REDIS_PORT: String(proxy.port) });
        await worker.start();
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs + PARTITION_MS, label: 'rp' });
        await sleep(context.faultAfterMs);
        proxy.cut();
        const faultAt = now();
        context.log(`worker cut off from Redis for ${PARTITION_MS / 1000} s`);
        await sleep(PARTITION_MS);
        proxy.restore();
        context.log('link restored');
        await load;
        const settled = await settle(stack, pairs, faultAt, 60_000);
        // A job the worker held when the link went is active until its lock runs out and the stall check takes it back.
        const admin = await stack.admin();
        let active = (await admin.operator.getQueueMetrics()).queues[QUEUE.DELIVERY].active;
        for (const started = now(); active > 0 && now() - started < 45_000;) {
          await sleep(250);
          active = (await admin.operator.getQueueMetrics()).queues[QUEUE.DELIVERY].active;
        }
        return {
          ...settled,
          checks: [...standardChecks(settled.counts), { name: 'no delivery job stuck active', ok: active === 0, detail: `${active} active` }],
          notes: settled.errors,
        };
      } finally {
        closePairs(pairs);
        await proxy.stop();
      }
    }),
};
