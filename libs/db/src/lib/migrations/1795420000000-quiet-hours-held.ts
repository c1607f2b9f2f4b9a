import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quiet hours with critical bypass: a message marked critical (its sender's role allows it)
 * goes through every recipient's quiet hours; what quiet hours hold is recorded per recipient,
 * channel and message, for one digest per channel at the window's end instead of a burst of
 * delayed jobs.
 */
export class QuietHoursHeld1795420000000 implements MigrationInterface {
  name = 'QuietHoursHeld1795420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "critical" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE TABLE "held_notifications" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "channel" text NOT NULL,
      "message_id" uuid NOT NULL,
      "wake_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "held_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "released_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "pk_held_notifications" PRIMARY KEY ("id"),
      CONSTRAINT "uq_held_notifications_user_id_channel_message_id" UNIQUE ("user_id", "channel", "message_id"),
      CONSTRAINT "chk_held_notifications_channel" CHECK ("channel" IN ('in_app', 'email', 'push', 'sms')),
      CONSTRAINT "fk_held_notifications_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
      CONSTRAINT "fk_held_notifications_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "held_notifications"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "critical"`);
  }
}
