import { ConfigError } from '@mq/config';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { loadWorkerConfig } from './worker.config';

describe('loadWorkerConfig', () => {
  it('has sane development defaults: all queues, local services, port 3334', () => {
    const config = loadWorkerConfig({});
    expect(config.queues).toEqual([...QUEUE_NAMES]);
    expect(config.port).toBe(3334);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/mq');
    expect(config.queue.prefix).toBe('mq');
  });

  it('anchors the access ledger every 10 minutes unless LEDGER_ANCHOR_INTERVAL_MS says otherwise (at least a second)', () => {
    expect(loadWorkerConfig({}).ledgerAnchorIntervalMs).toBe(600_000);
    expect(loadWorkerConfig({ LEDGER_ANCHOR_INTERVAL_MS: '5000' }).ledgerAnchorIntervalMs).toBe(5_000);
    expect(() => loadWorkerConfig({ LEDGER_ANCHOR_INTERVAL_MS: '10' })).toThrow(/LEDGER_ANCHOR_INTERVAL_MS/);
  });

  it('consumes only the queues WORKER_QUEUES names', () => {
    expect(loadWorkerConfig({ WORKER_QUEUES: 'message-delivery, message-notification' }).queues).toEqual(['message-delivery', 'message-notification']);
  });

  it('names an unknown queue and a malformed DATABASE_URL', () => {
    try {
      loadWorkerConfig({ WORKER_QUEUES: 'message-delivery,emails', DATABASE_URL: 'mysql://db/mq' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/WORKER_QUEUES: unknown queue\(s\) emails/);
      expect(message).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    }
  });

  it('requires DATABASE_URL in production', () => {
    expect(() => loadWorkerConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required in production/);
  });
});
