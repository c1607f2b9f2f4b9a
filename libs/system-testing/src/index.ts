export * from './lib/otlp.peer';
export * from './lib/peers';
export * from './lib/test-stack';
/** One statement against a test database (see queryDatabase in @mq/db/testing). */
export { queryDatabase as sql } from '@mq/db/testing';
export { freePort } from '@mq/db/testing';
