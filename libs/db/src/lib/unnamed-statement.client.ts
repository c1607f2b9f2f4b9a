import { Client } from 'pg';

const clientQuery = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;

function withoutName(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || !('name' in config)) return config;
  // A Submittable (cursor, stream) manages its own protocol: leave it be.
  if ('submit' in config && typeof config.submit === 'function') return config;
  return { ...config, name: undefined };
}

/**
 * The pool's connection class behind a transaction pooler (DATABASE_POOL_MODE=transaction).
 * A named prepared statement lives in one server session, and the pooler hands each transaction
 * whichever server connection is free, so the next run of a name can land where it was never
 * prepared ("prepared statement does not exist"). Every query goes out as an unnamed statement:
 * parsed and planned per run, still parameterised. Stripping the name here, where every query
 * of the pool passes, covers TypeORM's queries and `preparedQuery` alike.
 */
export class UnnamedStatementClient extends Client {}

UnnamedStatementClient.prototype.query = function query(this: Client, config: unknown, ...rest: unknown[]) {
  return clientQuery.call(this, withoutName(config), ...rest);
} as Client['query'];
