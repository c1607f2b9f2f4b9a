import { z } from 'zod';
import { ConfigError, envFlag, nodeEnvSchema, parseEnv } from './parse-env';

describe('parseEnv', () => {
  const schema = z.object({ ...nodeEnvSchema.shape, FLAG: envFlag.default(false), SECRET: z.string().min(20) });

  it('returns the typed, defaulted object', () => {
    expect(parseEnv(schema, { SECRET: 'x'.repeat(20), FLAG: '1' })).toEqual({
      NODE_ENV: 'development',
      SHUTDOWN_TIMEOUT_MS: 25_000,
      FLAG: true,
      SECRET: 'x'.repeat(20),
    });
  });

  it('names each bad variable, never its value', () => {
    try {
      parseEnv(schema, { SECRET: 'hunter2', FLAG: 'maybe', NODE_ENV: 'staging' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['FLAG', 'NODE_ENV', 'SECRET']);
      expect(message).not.toContain('hunter2');
      expect(message).toContain('.env.example');
    }
  });
});
