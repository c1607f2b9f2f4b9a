import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `outbox.finished_at`: when the job a row published was seen to end (completed, failed for
 * good, or gone from Redis). The send jobs published and not yet seen to end are what the
 * worker's reconciler checks against Redis, so a partial index holds just those.
 */
export class OutboxFinished1795360000000 implements MigrationInterface {
  name = 'OutboxFinished1795360000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" ADD "finished_at" timestamptz`);
    await queryRunner.query(
      `CREATE INDEX "idx_outbox_send_unfinished" ON "outbox" ("id") WHERE "job_name" = 'send-message' AND "published_at" IS NOT NULL AND "finished_at" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_outbox_send_unfinished"`);
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "finished_at"`);
  }
}
