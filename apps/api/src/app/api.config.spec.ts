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

  it('lets admins send critical messages by default, and refuses an unknown role in CRITICAL_SENDER_ROLES', () => {
    expect(loadApiConfig({}).criticalSenderRoles).toEqual(['admin']);
    expect(loadApiConfig({ CRITICAL_SENDER_ROLES: 'admin, operator,admin' }).criticalSenderRoles).toEqual(['admin', 'operator']);
    expect(() => loadApiConfig({ CRITICAL_SENDER_ROLES: 'admin,nurse' })).toThrow(
      /CRITICAL_SENDER_ROLES.*unknown role "nurse": roles are user, admin, operator/,
    );
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

  describe('DEMO_DATA', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/mq',
      JWT_SECRET: 'x'.repeat(32),
      MESSAGE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    };

    it('is on by default in development only', () => {
      expect(loadApiConfig({}).demoData).toBe(true);
      expect(loadApiConfig({ NODE_ENV: 'development' }).demoData).toBe(true);
      expect(loadApiConfig({ NODE_ENV: 'test' }).demoData).toBe(false);
      expect(loadApiConfig(production).demoData).toBe(false);
    });

    it('follows the flag outside production', () => {
      expect(loadApiConfig({ NODE_ENV: 'development', DEMO_DATA: 'false' }).demoData).toBe(false);
      expect(loadApiConfig({ NODE_ENV: 'test', DEMO_DATA: 'true' }).demoData).toBe(true);
      expect(() => loadApiConfig({ DEMO_DATA: 'yes' })).toThrow(/DEMO_DATA: must be true or false/);
    });

    it('refuses DEMO_DATA=true in production, saying why', () => {
      expect(loadApiConfig({ ...production, DEMO_DATA: 'false' }).demoData).toBe(false);
      for (const on of ['true', '1']) {
        expect(() => loadApiConfig({ ...production, DEMO_DATA: on })).toThrow(ConfigError);
        expect(() => loadApiConfig({ ...production, DEMO_DATA: on })).toThrow(/DEMO_DATA=true is refused with NODE_ENV=production/);
      }
    });
  });

  it('logs in readable lines in development and in JSON elsewhere, unless LOG_FORMAT says', () => {
    expect(loadApiConfig({}).logging.format).toBe('pretty');
    expect(loadApiConfig({ NODE_ENV: 'test' }).logging.format).toBe('json');
    expect(loadApiConfig({ LOG_FORMAT: 'json' }).logging.format).toBe('json');
  });
});
