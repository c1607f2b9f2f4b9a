import Redis from 'ioredis';
import { QUEUE } from '@mq/queue-contracts';
import { queueKeyPrefix } from '@mq/queue';
import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { apiUrls, withStack } from './drill.stack';

/**
 * On a 3+3 Redis Cluster, `kill -9` of the master that holds the delivery queue mid-load: its
 * replica is promoted (cluster-node-timeout 2 s). Replication is asynchronous, so jobs the
 * dead master acknowledged may be missing on the new one; the outbox in Postgres and the
 * send-job reconciler must bring every message to its recipient exactly once anyway.
 */
export const redisFailoverDrill: Drill = {
  name: 'redis-failover',
  title: 'Redis Cluster: kill -9 of the master holding the delivery queue mid-load, its replica promoted',
  run: (context) =>
    withStack({ apis: 2, redis: 'cluster', clusterNodeTimeoutMs: 2_000 }, async (stack) => {
      const cluster = stack.cluster;
      if (!cluster) throw new Error('the drill needs a cluster');
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const [seed] = cluster.nodes;
        const probe = new Redis({ host: seed?.host, port: seed?.port, lazyConnect: true });
        await probe.connect();
        const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', `${queueKeyPrefix(stack.queue.prefix, QUEUE.DELIVERY)}:x`));
        probe.disconnect();
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: 'rfo' });
        await sleep(context.faultAfterMs);
        const master = await cluster.masterOf(slot);
        await cluster.kill(master.port);
        const faultAt = now();
        context.log(`killed the master of slot ${slot} (${QUEUE.DELIVERY}) on port ${master.port}`);
        let promoted: string | undefined;
        while (!promoted && now() - faultAt < 30_000) {
          const next = await cluster.masterOf(slot).catch(() => undefined);
          if (next && next.port !== master.port) promoted = `${next.port}`;
          else await sleep(100);
        }
        context.log(promoted ? `replica on port ${promoted} promoted ${Math.round(now() - faultAt)} ms after the kill` : 'no replica promoted within 30 s');
        await load;
        const settled = await settle(stack, pairs, faultAt, 40_000);
        return {
          ...settled,
          checks: [
            { name: 'a replica took over the slot', ok: promoted !== undefined, detail: promoted ? `port ${promoted}` : 'none' },
            ...standardChecks(settled.counts),
          ],
          notes: settled.errors,
        };
      } finally {
        closePairs(pairs);
      }
    }),
};
