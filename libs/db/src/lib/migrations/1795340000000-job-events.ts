import { MigrationInterface, QueryRunner } from 'typeorm';

/** job_events: per-job history for message timelines and job search. */
export class JobEvents1795340000000 implements MigrationInterface {
  name = 'JobEvents1795340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "job_events" (
      "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
      "queue" text NOT NULL,
      "job_id" text NOT NULL,
      "job_name" text NOT NULL,
      "kind" text NOT NULL,
      "attempt" integer NOT NULL,
      "message_id" uuid,
      "user_id" uuid,
      "error" text,
      "duration_ms" integer,
      "at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_job_events" PRIMARY KEY ("id"),
      CONSTRAINT "chk_job_events_kind" CHECK ("kind" IN ('completed', 'attempt-failed', 'failed', 'retried'))
    )`);
    await queryRunner.query(`CREATE INDEX "idx_job_events_message_id_at" ON "job_events" ("message_id", "at")`);
    await queryRunner.query(`CREATE INDEX "idx_job_events_user_id_at" ON "job_events" ("user_id", "at")`);
    await queryRunner.query(`CREATE INDEX "idx_job_events_job_id" ON "job_events" ("job_id")`);
    await queryRunner.query(`CREATE INDEX "idx_job_events_at" ON "job_events" ("at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "job_events"`);
  }
}
