import { ConfigError } from '@mq/config';
import { loadApiConfig } from './api.config';

describe('loadApiConfig', () => {
  it('defaults to port 3333 and the local services', () => {
    const config = loadApiConfig({});
    expect(config.port).toBe(3333);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/mq');
    expect(config.queue).toMatchObject({ prefix: 'mq', redis: { host: '127.0.0.1', port: 6379 } });
    expect(config.adminBootstrap).toBeUndefined();
  });

  it('rejects a bad DATABASE_URL with a message naming it, never echoing the value', () => {
    expect(() => loadApiConfig({ DATABASE_URL: 'postgres://secret-password@' })).toThrow(ConfigError);
    try {
      loadApiConfig({ DATABASE_URL: 'not a url with hunter2' });
    } catch (error) {
      expect((error as Error).message).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
      expect((error as Error).message).not.toMatch(/hunter2/);
    }
  });

  it('wants ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadApiConfig({ ADMIN_EMAIL: 'admin@school.test' })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD must be set together/);
    expect(loadApiConfig({ ADMIN_EMAIL: 'admin@school.test', ADMIN_PASSWORD: 'a-long-enough-password' }).adminBootstrap).toEqual({
      email: 'admin@school.test',
      password: 'a-long-enough-password',
    });
  });

  it('names every malformed variable at once', () => {
    expect(() => loadApiConfig({ PORT: 'eighty', REDIS_PORT: '-1', LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    try {
      loadApiConfig({ PORT: 'eighty', REDIS_PORT: '-1', LOG_LEVEL: 'loud' });
    } catch (error) {
      const lines = (error as ConfigError).problems;
      expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_PORT']);
    }
  });
});
