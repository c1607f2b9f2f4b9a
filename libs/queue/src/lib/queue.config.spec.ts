import { redisOptionsFor } from './bull-connection.factory';
import { findHandlerCoverageProblems } from './handler-coverage';
import { queueEnvSchema, toQueueConfig } from './queue.config';
import { keyPatternsOf, queueKeyPrefix, userKey } from './redis-keys';
import { JOB_NAMES } from '@mq/queue-contracts';

describe('queue config', () => {
  it('defaults to the local Redis and the mq prefix', () => {
    const config = toQueueConfig(queueEnvSchema.parse({}));
    expect(config).toEqual({
      redis: { host: '127.0.0.1', port: 6379, db: 0, tls: false, username: undefined, password: undefined },
      topology: { kind: 'single' },
      prefix: 'mq',
    });
  });

  it('reads a cluster from its seed nodes (IPv6 in brackets) and a NAT map, on db 0', () => {
    const config = toQueueConfig(
      queueEnvSchema.parse({ REDIS_NODES: '10.0.0.1:7000, [::1]:7001', REDIS_NAT_MAP: '10.0.0.1:7000=redis-a:7000', REDIS_QUEUE_DB: '3' }),
    );
    expect(config.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      natMap: { '10.0.0.1:7000': { host: 'redis-a', port: 7000 } },
    });
    expect(config.redis.db).toBe(0);
    // REDIS_CLUSTER alone: REDIS_HOST:REDIS_PORT is the seed.
    expect(toQueueConfig(queueEnvSchema.parse({ REDIS_CLUSTER: 'true', REDIS_PORT: '7000' })).topology).toEqual({
      kind: 'cluster',
      nodes: [{ host: '127.0.0.1', port: 7000 }],
    });
  });

  it('reads a Sentinel-watched primary, and refuses half a Sentinel setup or one mixed with a cluster', () => {
    expect(toQueueConfig(queueEnvSchema.parse({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mq' })).topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mq',
    });
    expect(() => toQueueConfig(queueEnvSchema.parse({ REDIS_SENTINELS: 's1:26379' }))).toThrow(/REDIS_SENTINEL_NAME/);
    expect(() => toQueueConfig(queueEnvSchema.parse({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'mq', REDIS_CLUSTER: 'true' }))).toThrow(
      /cannot be combined/,
    );
  });

  it('takes an empty variable for an unset one (docker compose passes ${VAR:-} so)', () => {
    expect(toQueueConfig(queueEnvSchema.parse({ REDIS_NODES: '', REDIS_NAT_MAP: '', REDIS_SENTINELS: '', REDIS_SENTINEL_NAME: '' })).topology).toEqual({
      kind: 'single',
    });
  });

  it('refuses a node list that is not host:port, naming the part at fault', () => {
    const result = queueEnvSchema.safeParse({ REDIS_NODES: '10.0.0.1:7000,redis-b', REDIS_NAT_MAP: 'a:1' });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'REDIS_NODES: "redis-b" is not host:port',
      'REDIS_NAT_MAP: "a:1" is not announced-host:port=reachable-host:port',
    ]);
  });

  it('names every queue and user key by the hash tags that spread them over a cluster', () => {
    expect(queueKeyPrefix('mq', 'message-delivery')).toBe('{mq:message-delivery}');
    expect(userKey('mq', 'u-1', 'ratelimit', 'send', 42)).toBe('mq:{u:u-1}:ratelimit:send:42');
    expect(keyPatternsOf('mq')).toEqual(['{mq:*', 'mq:*']);
  });

  it('rejects a port or db out of range and a malformed flag', () => {
    const result = queueEnvSchema.safeParse({ REDIS_PORT: '70000', REDIS_QUEUE_DB: '99', REDIS_CLUSTER: 'yes' });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['REDIS_CLUSTER', 'REDIS_PORT', 'REDIS_QUEUE_DB']);
  });
});

describe('redisOptionsFor', () => {
  const config = toQueueConfig(queueEnvSchema.parse({}));

  it('gives Bull’s blocking and subscriber connections the options Bull requires', () => {
    for (const type of ['bclient', 'subscriber'] as const) {
      const options = redisOptionsFor(type, config, 'fail-fast');
      expect(options.maxRetriesPerRequest).toBeNull();
      expect(options.enableReadyCheck).toBe(false);
    }
  });

  it('lets the api fail fast and the worker wait while Redis is away, reconnecting for ever', () => {
    expect(redisOptionsFor('client', config, 'fail-fast').maxRetriesPerRequest).toBe(1);
    expect(redisOptionsFor('client', config, 'wait').maxRetriesPerRequest).toBeNull();
    const retry = redisOptionsFor('client', config, 'wait').retryStrategy;
    expect(retry?.(1)).toBe(100);
    expect(retry?.(10_000)).toBe(2_000);
    const reconnect = redisOptionsFor('client', config, 'wait').reconnectOnError;
    expect(reconnect?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnect?.(new Error('WRONGTYPE'))).toBe(false);
  });
});

describe('findHandlerCoverageProblems', () => {
  const all = JOB_NAMES.map((jobName) => ({ jobName, location: `P.${jobName}` }));

  it('accepts exactly one handler per job', () => {
    expect(findHandlerCoverageProblems(all)).toEqual([]);
  });

  it('reports a missing, a doubled and an unknown job name', () => {
    const handlers = [
      ...all.filter((h) => h.jobName !== 'batch-send'),
      { jobName: 'send-message', location: 'Q.again' },
      { jobName: 'send-sms', location: 'R.x' },
    ];
    expect(findHandlerCoverageProblems(handlers)).toEqual([
      'job "send-message" has 2 processors: P.send-message, Q.again',
      'job "batch-send" (queue batch-message-sending) has no processor',
      'R.x handles "send-sms", which is not a job name',
    ]);
  });
});
