import { Injectable } from '@nestjs/common';
import { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import type { RedisNodeReport, RedisReport } from '@mq/messaging-contracts';
import { BullConnectionFactory } from './bull-connection.factory';
import { QueueRegistry } from './queue.registry';

/** `INFO` as field -> value. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** One node's report from its INFO and its eviction policy (null when CONFIG is refused). */
export function nodeReport(address: string, info: Map<string, string>, maxmemoryPolicy: string | null): RedisNodeReport {
  const num = (field: string): number => Number(info.get(field) ?? 0);
  const warnings: string[] = [];
  if (maxmemoryPolicy !== null && maxmemoryPolicy !== 'noeviction') {
    warnings.push(`maxmemory-policy is ${maxmemoryPolicy}: Redis may evict queue keys (lost or stuck jobs); set noeviction`);
  }
  const maxmemory = num('maxmemory');
  if (maxmemory > 0 && num('used_memory') > 0.9 * maxmemory) {
    warnings.push(`memory is ${Math.round((100 * num('used_memory')) / maxmemory)}% of maxmemory: a full Redis refuses new jobs`);
  }
  return {
    address,
    role: info.get('role') === 'slave' ? 'replica' : 'master',
    version: info.get('redis_version') ?? 'unknown',
    usedMemoryBytes: num('used_memory'),
    peakMemoryBytes: num('used_memory_peak'),
    fragmentationRatio: num('mem_fragmentation_ratio'),
    connectedClients: num('connected_clients'),
    connectedReplicas: num('connected_slaves'),
    opsPerSecond: num('instantaneous_ops_per_sec'),
    maxmemoryPolicy,
    warnings,
  };
}

async function describeNode(node: Redis): Promise<RedisNodeReport> {
  const info = parseInfo(await node.info());
  const policy = await node.config('GET', 'maxmemory-policy').then(
    (reply) => (Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null),
    () => null,
  );
  return nodeReport(`${node.options.host ?? '?'}:${node.options.port ?? '?'}`, info, policy);
}

/** The Redis the queues run on, server by server (each master of a cluster), for the console's Redis panel. */
@Injectable()
export class RedisReporter {
  constructor(
    private readonly connections: BullConnectionFactory,
    private readonly queues: QueueRegistry,
  ) {}

  async report(): Promise<RedisReport> {
    const connection = this.connections.commandConnection();
    // A cluster's masters (the connections the client holds); each reports its replicas.
    const nodes = connection instanceof Cluster ? connection.nodes('master') : [connection];
    const reports = await Promise.all(nodes.map(describeNode));
    const jobsPerQueue: Record<string, number> = {};
    for (const [name, queue] of this.queues.entries()) {
      const counts = await queue.getJobCounts();
      jobsPerQueue[name] = Object.values(counts).reduce((sum, n) => sum + Number(n), 0);
    }
    return {
      mode: connection instanceof Cluster ? 'cluster' : connection.options.sentinels?.length ? 'sentinel' : 'single',
      nodes: reports.sort((a, b) => a.address.localeCompare(b.address)),
      jobsPerQueue,
    };
  }
}
