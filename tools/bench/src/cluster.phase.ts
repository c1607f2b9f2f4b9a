import Redis from 'ioredis';
import { QUEUE_NAMES, type QueueName } from '@mq/queue-contracts';
import { queueKeyPrefix } from '@mq/queue';
import { scanKeys, startThrowawayCluster, type ThrowawayCluster } from '@mq/queue/testing';
import { BenchStack } from './bench-stack.runner';
import { directOptionsFrom, type BenchOptions } from './bench.cli';
import { measureDirectMessages } from './direct-messages.phase';
import type { DirectResult } from './direct-messages.types';
import type { ProgressBar } from './progress.bar';
import { SqlUserSource } from './users.seeder';

export interface ClusterMaster {
  port: number;
  slots: string;
  /** Every key the master holds after the run (the cluster is the run's own). */
  keys: number;
  /** Of which under a queue's hash tag. */
  queueKeys: number;
  queues: QueueName[];
}

/** `--cluster`: the direct runs again with api and worker on a throwaway 3+3 Redis Cluster, and where the keys ended up. */
export interface ClusterResult {
  masters: number;
  replicas: number;
  direct: DirectResult;
  queueSlots: { queue: QueueName; slot: number; masterPort: number }[];
  perMaster: ClusterMaster[];
}

async function onNode<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function layoutOf(cluster: ThrowawayCluster, prefix: string): Promise<Pick<ClusterResult, 'queueSlots' | 'perMaster'>> {
  const [seed] = cluster.nodes;
  const slots = await onNode(seed?.port ?? 0, (redis) =>
    Promise.all(QUEUE_NAMES.map(async (queue) => Number(await redis.call('CLUSTER', 'KEYSLOT', `${queueKeyPrefix(prefix, queue)}:x`)))),
  );
  const queueSlots = await Promise.all(
    QUEUE_NAMES.map(async (queue, i) => ({ queue, slot: slots[i] ?? -1, masterPort: (await cluster.masterOf(slots[i] ?? -1)).port })),
  );
  const masters = (await cluster.topology()).filter((node) => node.role === 'master');
  const perMaster = await Promise.all(
    masters.map(async (master) => ({
      port: master.port,
      slots: master.slots.map(([from, to]) => `${from}-${to}`).join(','),
      keys: await onNode(master.port, (redis) => redis.dbsize()),
      queueKeys: await onNode(master.port, async (redis) => (await scanKeys(redis, `{${prefix}:*`)).length),
      queues: queueSlots.filter((q) => q.masterPort === master.port).map((q) => q.queue),
    })),
  );
  return { queueSlots, perMaster };
}

export async function measureOnCluster(options: BenchOptions, cores: number, progress: ProgressBar): Promise<ClusterResult> {
  progress.log('bench: starting a Redis Cluster (3 masters, 3 replicas) and api + worker on it');
  const cluster = await startThrowawayCluster();
  try {
    // The cluster is the run's own: the product's default prefix, so the queues land where a deployment's do.
    const stack = await BenchStack.start({
      redis: options.redis,
      logLevel: options.logLevel,
      profile: false,
      batchLingerMs: options.batchLingerMs,
      cluster,
      queuePrefix: 'mq',
      pgbouncer: options.pgbouncer,
    });
    try {
      const [seed] = cluster.nodes;
      const direct = await measureDirectMessages(
        new SqlUserSource(stack.database.directUrl, stack.jwtSecret, stack.api.url),
        directOptionsFrom(options, cores, {
          cpuSubjects: { api: stack.api.pid, worker: stack.worker.pid, databaseUrl: stack.database.directUrl, poolerPid: stack.database.poolerPid },
          redis: { host: seed?.host ?? '127.0.0.1', port: seed?.port ?? 0, db: 0 },
          databaseUrl: stack.database.directUrl,
        }),
        progress,
      );
      return { masters: 3, replicas: 3, direct, ...(await layoutOf(cluster, stack.queuePrefix)) };
    } finally {
      await stack.stop();
    }
  } finally {
    await cluster.stop();
  }
}
