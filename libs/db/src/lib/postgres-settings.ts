/**
 * The server settings the product expects of Postgres (README "Postgres settings"), which
 * docker-compose.yml passes to its postgres service and `npm run bench -- --start` gives the
 * server it starts. Without them the cost per message grows with the data: with autovacuum
 * off dead rows pile up in the hot tables, and with the stock 128 MB of buffers and a
 * checkpoint every 1 GB of WAL, backends evict dirty pages themselves and every checkpoint
 * makes the next writes full-page images. JIT is turned off per database by a migration.
 */
export const RECOMMENDED_POSTGRES_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  autovacuum: 'on',
  shared_buffers: '1GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  wal_compression: 'lz4',
});
