import { redisOptionsFor } from './bull-connection.factory';
import { findHandlerCoverageProblems } from './handler-coverage';
import { queueEnvSchema, toQueueConfig } from './queue.config';
import { JOB_NAMES } from '@mq/queue-contracts';

describe('queue config', () => {
  it('defaults to the local Redis and the mq prefix', () => {
    const config = toQueueConfig(queueEnvSchema.parse({}));
    expect(config).toEqual({
      redis: { host: '127.0.0.1', port: 6379, db: 0, tls: false, username: undefined, password: undefined },
      cluster: false,
      prefix: 'mq',
    });
  });

  it('uses a hash-tag prefix on Redis Cluster so Bull’s scripts stay on one slot', () => {
    expect(toQueueConfig(queueEnvSchema.parse({ REDIS_CLUSTER: 'true', QUEUE_PREFIX: 'school' })).prefix).toBe('{school}');
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
