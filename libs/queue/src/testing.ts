import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Queue } from 'bull';
import { QueueConfig } from './lib/queue.config';
import { keyPatternsOf } from './lib/redis-keys';
import type { ThrowawayCluster } from './lib/testing/throwaway-cluster';
import type { ThrowawaySentinel } from './lib/testing/throwaway-sentinel';
import { eventually, freePort } from '@mq/db/testing';
import { scanKeys } from './lib/testing/wait.helper';

export { eventually, freePort } from '@mq/db/testing';
export { askNode, scanKeys } from './lib/testing/wait.helper';

export { parseClusterNodes, startThrowawayCluster } from './lib/testing/throwaway-cluster';
export type { ClusterNode, ThrowawayCluster } from './lib/testing/throwaway-cluster';
export { startThrowawaySentinel } from './lib/testing/throwaway-sentinel';
export type { ThrowawaySentinel } from './lib/testing/throwaway-sentinel';

/** A queue prefix no other run shares, so tests never see each other's (or `npm start`'s) jobs. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

/** Queue config for the local Redis (REDIS_HOST / REDIS_PORT override), with its own prefix. */
export function testQueueConfig(prefix = uniqueQueuePrefix(), overrides: Partial<QueueConfig['redis']> = {}): QueueConfig {
  return {
    redis: {
      host: process.env.REDIS_HOST ?? '127.0.0.1',
      port: Number(process.env.REDIS_PORT ?? 6379),
      db: Number(process.env.REDIS_QUEUE_DB ?? 0),
      tls: false,
      ...overrides,
    },
    topology: { kind: 'single' },
    prefix,
  };
}

/** Queue config for a throwaway cluster, seeded with all its nodes. */
export function clusterQueueConfig(cluster: ThrowawayCluster, prefix = uniqueQueuePrefix()): QueueConfig {
  const [seed] = cluster.nodes;
  return {
    redis: { host: seed?.host ?? '127.0.0.1', port: seed?.port ?? 0, db: 0, tls: false },
    topology: { kind: 'cluster', nodes: [...cluster.nodes] },
    prefix,
  };
}

/** Queue config for a throwaway Sentinel setup: the primary it names, found through the Sentinel. */
export function sentinelQueueConfig(sentinel: ThrowawaySentinel, prefix = uniqueQueuePrefix()): QueueConfig {
  return {
    redis: { host: '127.0.0.1', port: 0, db: 0, tls: false },
    topology: { kind: 'sentinel', sentinels: [...sentinel.sentinels], name: sentinel.name },
    prefix,
  };
}

/** Deletes every key under a prefix (a test's leftovers), in batches. */
export async function deleteQueueKeys(config: QueueConfig): Promise<number> {
  const redis = new Redis({ ...config.redis, tls: undefined, lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    for (const pattern of keyPatternsOf(config.prefix)) {
      const keys = await scanKeys(redis, pattern);
      for (let i = 0; i < keys.length; i += 1000) deleted += await redis.unlink(...keys.slice(i, i + 1000));
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export interface WaitForIdleOptions {
  timeoutMs?: number;
  /** Count delayed jobs as pending too (default: yes). */
  includeDelayed?: boolean;
}

/**
 * Resolves once no queue has waiting, active (or delayed) jobs, seen twice in a row so a job
 * chaining another is not missed; rejects with the counts it saw if that takes too long.
 */
export async function waitForQueuesIdle(queues: readonly Queue[], options: WaitForIdleOptions = {}): Promise<void> {
  const { timeoutMs = 20_000, includeDelayed = true } = options;
  const deadline = Date.now() + timeoutMs;
  let idleRounds = 0;
  let last: Record<string, number> = {};
  while (Date.now() < deadline) {
    const counts = await Promise.all(queues.map((queue) => queue.getJobCounts()));
    last = Object.fromEntries(
      queues.map((queue, i) => {
        const c = counts[i];
        return [queue.name, c.waiting + c.active + (includeDelayed ? c.delayed : 0)];
      }),
    );
    const pending = Object.values(last).reduce((a, b) => a + b, 0);
    idleRounds = pending === 0 ? idleRounds + 1 : 0;
    if (idleRounds >= 2) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Queues not idle after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

export interface ThrowawayRedis {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A private redis-server on a spare port, for fault drills that stop and restart Redis
 * without touching the shared instance.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  let child: import('node:child_process').ChildProcess | undefined;
  const ping = async (): Promise<boolean> => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      // A probe that never connected has no socket left: disconnect() would only start a 2 s timer that holds Jest open.
      if (probe.status !== 'end') probe.disconnect();
    }
  };
  const handle: ThrowawayRedis = {
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await eventually(async () => ((await ping()) ? true : undefined), `redis-server on port ${port}`, 10_000);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
  await handle.start();
  return handle;
}
