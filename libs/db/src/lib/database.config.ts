import { z } from 'zod';

/** Where a developer's Postgres is; production must say explicitly. */
export const DEFAULT_DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/mq';
export const DEFAULT_DB_POOL_SIZE = 20;

const URL_SHAPE = 'DATABASE_URL must be a postgres:// URL with a database name';
const POOL_SIZE_MESSAGE = 'DB_POOL_SIZE must be an integer from 1 to 200';

/** What is wrong with a DATABASE_URL value, or undefined if nothing. Never echoes the value: it may hold a password. */
export function describeDatabaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${URL_SHAPE} (e.g. ${DEFAULT_DEV_DATABASE_URL}); the value is not a URL`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `${URL_SHAPE}; the protocol is ${url.protocol}, expected postgres: or postgresql:`;
  }
  if (!url.hostname) return `${URL_SHAPE}; the host is missing`;
  const database = url.pathname.replace(/^\//, '');
  if (!database) return `${URL_SHAPE}; the database name is missing (add /<name> after the host)`;
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(decodeURIComponent(database))) {
    return `${URL_SHAPE}; the database name must be letters, digits, _, $ or - (at most 63)`;
  }
  return undefined;
}

// An empty variable (`DATABASE_URL=` in an env file) means "not set", not "set to nothing".
const emptyAsUnset = (value: unknown): unknown => (value === '' ? undefined : value);

const databaseUrl = z
  .string({
    error: (issue) =>
      issue.input === undefined ? `DATABASE_URL is required in production (e.g. postgres://user:password@host:5432/mq)` : 'DATABASE_URL must be a string',
  })
  .trim()
  .superRefine((value, ctx) => {
    const problem = describeDatabaseUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

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
  });
}

/** The production (strict) schema: safe to use anywhere, defaults nothing but the pool size. */
export const databaseEnvSchema = databaseEnvSchemaFor('production');

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;
