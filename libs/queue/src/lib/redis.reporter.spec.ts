import { nodeReport, parseInfo } from './redis.reporter';

const INFO = [
  '# Server',
  'redis_version:7.0.15',
  '# Clients',
  'connected_clients:12',
  '# Memory',
  'used_memory:950',
  'used_memory_peak:990',
  'maxmemory:1000',
  'mem_fragmentation_ratio:1.35',
  '# Stats',
  'instantaneous_ops_per_sec:420',
  '# Replication',
  'role:slave',
  '',
].join('\r\n');

describe('RedisReporter parts', () => {
  it('reads INFO into a node report', () => {
    expect(nodeReport('10.0.0.1:6379', parseInfo(INFO), 'noeviction')).toEqual({
      address: '10.0.0.1:6379',
      role: 'replica',
      version: '7.0.15',
      usedMemoryBytes: 950,
      peakMemoryBytes: 990,
      fragmentationRatio: 1.35,
      connectedClients: 12,
      connectedReplicas: 0,
      opsPerSecond: 420,
      maxmemoryPolicy: 'noeviction',
      warnings: ['memory is 95% of maxmemory: a full Redis refuses new jobs'],
    });
  });

  it('warns about an eviction policy that can drop queue keys, and not when CONFIG is refused', () => {
    expect(nodeReport('r:1', parseInfo('role:master\r\nused_memory:1'), 'allkeys-lru').warnings).toEqual([
      'maxmemory-policy is allkeys-lru: Redis may evict queue keys (lost or stuck jobs); set noeviction',
    ]);
    expect(nodeReport('r:1', parseInfo('role:master'), null)).toMatchObject({ role: 'master', maxmemoryPolicy: null, warnings: [] });
  });
});
