import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a provider reported after a notification was sent (bounce, complaint, delivery, an
 * undelivered SMS) and the id it knows the notification by, so a webhook or a DSN finds its row;
 * `status` keeps its pending/sent/failed/skipped meaning for GET /me/notifications. Users get a
 * channel order: when a channel bounces or fails for good the next one is tried once.
 * Nullable columns without defaults: adding them rewrites nothing.
 */
export class ProviderFeedback1795410000000 implements MigrationInterface {
  name = 'ProviderFeedback1795410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications" ADD "provider_id" text`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "provider_status" text`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "provider_detail" text`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "provider_status_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "fallback_of" uuid`);
    await queryRunner.query(
      `ALTER TABLE "notifications" ADD CONSTRAINT "chk_notifications_provider_status" CHECK ("provider_status" IN ('delivered', 'bounced', 'complained', 'undelivered'))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_notifications_channel_provider_id" ON "notifications" ("channel", "provider_id") WHERE "provider_id" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "notification_preferences" ADD "channel_order" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notification_preferences" DROP COLUMN "channel_order"`);
    await queryRunner.query(`DROP INDEX "idx_notifications_channel_provider_id"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP CONSTRAINT "chk_notifications_provider_status"`);
    for (const column of ['fallback_of', 'provider_status_at', 'provider_detail', 'provider_status', 'provider_id']) {
      await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "${column}"`);
    }
  }
}
