import { z } from 'zod';

/** A bad environment: names every variable that is missing or malformed, and why. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against an app's schema, before Nest boots. Messages name the
 * variable; values are never echoed (they may be secrets).
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    return issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** `true`/`false`/`1`/`0`, as environment variables spell booleans. */
export const envFlag = z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).transform((value) => value === 'true' || value === '1');

export const nodeEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(25_000),
});
