import { z } from 'zod';

/** Where a developer's Postgres is; production must say explicitly. */
export const DEFAULT_DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/mq';
export const DEFAULT_DB_POOL_SIZE = 20;

const POOL_SIZE_MESSAGE = 'DB_POOL_SIZE must be an integer from 1 to 200';

/** What is wrong with a database URL value, or undefined if nothing. Never echoes the value: it may hold a password. */
export function describeDatabaseUrlProblem(value: string, variable = 'DATABASE_URL'): string | undefined {
  const shape = `${variable} must be a postgres:// URL with a database name`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${shape} (e.g. ${DEFAULT_DEV_DATABASE_URL}); the value is not a URL`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `${shape}; the protocol is ${url.protocol}, expected postgres: or postgresql:`;
  }
  if (!url.hostname) return `${shape}; the host is missing`;
  const database = url.pathname.replace(/^\//, '');
  if (!database) return `${shape}; the database name is missing (add /<name> after the host)`;
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(decodeURIComponent(database))) {
    return `${shape}; the database name must be letters, digits, _, $ or - (at most 63)`;
  }
  return undefined;
}

// An empty variable (`DATABASE_URL=` in an env file) means "not set", not "set to nothing".
const emptyAsUnset = (value: unknown): unknown => (value === '' ? undefined : value);

const databaseUrlOf = (variable: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? `${variable} is required in production (e.g. postgres://user:password@host:5432/mq)` : `${variable} must be a string`,
    })
    .trim()
    .superRefine((value, ctx) => {
      const problem = describeDatabaseUrlProblem(value, variable);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const databaseUrl = databaseUrlOf('DATABASE_URL');

/** How the app's connections reach Postgres: directly or through a session pooler, or through a transaction pooler. */
export const POOL_MODES = Object.freeze(['session', 'transaction'] as const);
export type PoolMode = (typeof POOL_MODES)[number];

const poolMode = z.enum(POOL_MODES, { error: `DATABASE_POOL_MODE must be one of: ${POOL_MODES.join(', ')}` });

const directUrl = databaseUrlOf('DATABASE_DIRECT_URL');

const poolSize = z.coerce
  .number({ error: POOL_SIZE_MESSAGE })
  .int({ error: POOL_SIZE_MESSAGE })
  .min(1, { error: POOL_SIZE_MESSAGE })
  .max(200, { error: POOL_SIZE_MESSAGE });

/**
 * The database part of an app's environment schema. In production DATABASE_URL is required;
 * anywhere else it defaults to the local development database. Merge it into the app's own
 * schema: `z.object({ ...databaseEnvSchemaFor(process.env.NODE_ENV).shape, ...appVars })`.
 */
export function databaseEnvSchemaFor(nodeEnv: string | undefined) {
  const production = nodeEnv === 'production';
  return z.object({
    DATABASE_URL: z.preprocess(emptyAsUnset, production ? databaseUrl : databaseUrl.default(DEFAULT_DEV_DATABASE_URL)),
    DB_POOL_SIZE: z.preprocess(emptyAsUnset, poolSize.default(DEFAULT_DB_POOL_SIZE)),
    // `transaction` behind PgBouncer (pool_mode=transaction) or any pooler that hands a
    // connection out per transaction: see the README's "Postgres behind a pooler".
    DATABASE_POOL_MODE: z.preprocess(emptyAsUnset, poolMode.default('session')),
    // Where migrations connect (they hold a session lock); unset means DATABASE_URL.
    DATABASE_DIRECT_URL: z.preprocess(emptyAsUnset, directUrl.optional()),
  });
}

/** The production (strict) schema: safe to use anywhere, defaults nothing but the pool size. */
export const databaseEnvSchema = databaseEnvSchemaFor('production');

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

/** The app's database settings, as its config object holds them. */
export interface DatabaseConfig {
  url: string;
  /** For migrations and creating the database: DATABASE_DIRECT_URL, else DATABASE_URL. */
  directUrl: string;
  poolSize: number;
  poolMode: PoolMode;
}

export function toDatabaseConfig(env: DatabaseEnv): DatabaseConfig {
  return { url: env.DATABASE_URL, directUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL, poolSize: env.DB_POOL_SIZE, poolMode: env.DATABASE_POOL_MODE };
}
