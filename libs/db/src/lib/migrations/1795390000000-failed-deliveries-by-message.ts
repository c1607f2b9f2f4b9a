import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A broadcast's failed deliveries, newest first, a page at a time: without this index the list
 * read every delivery of the broadcast's message (or every failed delivery of all messages) for
 * each page. Like idx_message_deliveries_failed_at it leaves `status` out, so the queued -> sent
 * -> delivered -> read updates stay HOT; message_id never changes.
 */
export class FailedDeliveriesByMessage1795390000000 implements MigrationInterface {
  name = 'FailedDeliveriesByMessage1795390000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_message_deliveries_message_id_failed_at" ON "message_deliveries" ("message_id", "failed_at") WHERE "failed_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_message_deliveries_message_id_failed_at"`);
  }
}
