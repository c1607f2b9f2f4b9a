import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the hot updates be HOT (heap-only: no index entry written): a delivery moves queued ->
 * sent -> delivered -> read and a message queued -> sent, and each of those updates wrote a new
 * entry into every index of the table, because `status` was in an index (or in a partial
 * index's predicate) and the pages had no room. Now no index of message_deliveries mentions
 * status, and both tables leave room on each page for the next version of their rows.
 */
export class HotUpdates1795350000000 implements MigrationInterface {
  name = 'HotUpdates1795350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_message_deliveries_recipient_id_status"`);
    // A recipient's deliveries in a time window (the email digest), and the cascade from users.
    await queryRunner.query(`CREATE INDEX "idx_message_deliveries_recipient_id_queued_at" ON "message_deliveries" ("recipient_id", "queued_at")`);
    await queryRunner.query(`DROP INDEX "idx_message_deliveries_failed_at_failed"`);
    // Set when a delivery fails for good; its status may move on later, the console filters on it.
    await queryRunner.query(`CREATE INDEX "idx_message_deliveries_failed_at" ON "message_deliveries" ("failed_at") WHERE "failed_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "message_deliveries" SET (fillfactor = 75)`);
    await queryRunner.query(`ALTER TABLE "messages" SET (fillfactor = 90)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" RESET (fillfactor)`);
    await queryRunner.query(`ALTER TABLE "message_deliveries" RESET (fillfactor)`);
    await queryRunner.query(`DROP INDEX "idx_message_deliveries_failed_at"`);
    await queryRunner.query(`CREATE INDEX "idx_message_deliveries_failed_at_failed" ON "message_deliveries" ("failed_at") WHERE "status" = 'failed'`);
    await queryRunner.query(`DROP INDEX "idx_message_deliveries_recipient_id_queued_at"`);
    await queryRunner.query(`CREATE INDEX "idx_message_deliveries_recipient_id_status" ON "message_deliveries" ("recipient_id", "status")`);
  }
}
