/*
 * `nx run db:migrate`: creates the database of DATABASE_DIRECT_URL (else DATABASE_URL) if missing, then runs pending
 * migrations (under an advisory lock, so it is safe beside a starting app). Exits non-zero
 * with a one-line reason when anything fails, Postgres being unreachable above all.
 */
import { ensureDatabaseExists, redactDatabaseUrl, runMigrations } from '../lib/data-source';
import { databaseEnvSchemaFor, toDatabaseConfig } from '../lib/database.config';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  // pg reports a refused connection as an AggregateError (one per resolved address) with an empty message.
  const message = error.message || (error instanceof AggregateError ? error.errors.map(describe).join('; ') : error.name);
  return code ? `${message} (${code})` : message;
}

function isUnreachable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isUnreachable);
  if (!(error instanceof Error)) return false;
  const code = 'code' in error ? error.code : undefined;
  return (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || /timeout|terminated unexpectedly/i.test(error.message);
}

async function main(): Promise<number> {
  const parsed = databaseEnvSchemaFor(process.env['NODE_ENV']).safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`migrate: ${issue.message}`);
    return 2;
  }
  // DATABASE_DIRECT_URL when the apps go through a transaction pooler: the migration lock is a session lock.
  const url = toDatabaseConfig(parsed.data).directUrl;
  const target = redactDatabaseUrl(url);
  try {
    if (await ensureDatabaseExists(url)) console.log(`migrate: created database ${target}`);
    const ran = await runMigrations(url);
    if (ran.length === 0) console.log(`migrate: ${target} is up to date`);
    for (const name of ran) console.log(`migrate: ran ${name}`);
    return 0;
  } catch (error) {
    if (isUnreachable(error)) {
      console.error(`migrate: cannot reach Postgres for ${target}: ${describe(error)}. Is it running, and is DATABASE_URL right?`);
    } else {
      console.error(`migrate: failed on ${target}: ${describe(error)}`);
    }
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
