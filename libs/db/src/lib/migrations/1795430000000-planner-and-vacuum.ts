import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows are updated or deleted as messages move on: vacuumed after 2% of them are dead, not 20%. */
const CHURNING = ['messages', 'message_deliveries', 'outbox', 'notifications'] as const;
/** Append-only tables: vacuumed (visibility map, frozen pages) after 5% new rows, not 20%. */
const APPEND_ONLY = ['search_terms', 'job_events'] as const;

/**
 * Keeps the cost per message flat as the data grows (README "Postgres settings"):
 * - JIT off for the database: once the tables were large the worker's claim statement crossed
 *   jit_above_cost and compiled itself on every run (27 of its 46 s in a 1M-message soak); these
 *   are short OLTP statements that JIT never pays back.
 * - Autovacuum per table at a size-independent pace: at the default 20% a table of 10M rows
 *   waits for 2M dead ones, and its pages and indexes bloat in between.
 */
export class PlannerAndVacuum1795430000000 implements MigrationInterface {
  name = 'PlannerAndVacuum1795430000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END $$`);
    for (const table of CHURNING) {
      await queryRunner.query(
        `ALTER TABLE "${table}" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02)`,
      );
    }
    for (const table of APPEND_ONLY) {
      await queryRunner.query(`ALTER TABLE "${table}" SET (autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05)`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of APPEND_ONLY) {
      await queryRunner.query(`ALTER TABLE "${table}" RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)`);
    }
    for (const table of CHURNING) {
      await queryRunner.query(
        `ALTER TABLE "${table}" RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)`,
      );
    }
    await queryRunner.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET jit', current_database()); END $$`);
  }
}
