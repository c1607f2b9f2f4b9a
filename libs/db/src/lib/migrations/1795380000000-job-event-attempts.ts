import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's attempt history: which worker process ran each attempt (`host:pid`) and, for a failed
 * one, its stack. Bull keeps only the traces of the failed attempts, with no times or worker,
 * and drops them with the job.
 */
export class JobEventAttempts1795380000000 implements MigrationInterface {
  name = 'JobEventAttempts1795380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_events" ADD "worker" text, ADD "stack" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_events" DROP COLUMN "stack", DROP COLUMN "worker"`);
  }
}
