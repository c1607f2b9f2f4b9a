import { MigrationInterface, QueryRunner } from 'typeorm';
import { failureSignature } from '../failure-fingerprint';

/** Rows backfilled per statement. */
const BACKFILL_CHUNK = 1000;

/**
 * Dead letters grouped by cause, and discards that can be undone:
 * - `fingerprint`: job name + normalised error + top frame (failure-fingerprint.ts), the group key;
 * - `discarded_at` / `discard_id`: a discard hides rows at once and purges them only after the
 *   undo window, so a bulk discard made by mistake is restored by its id.
 * Live rows of a group are read newest first, hence the partial index.
 */
export class DeadLetterGroups1795370000000 implements MigrationInterface {
  name = 'DeadLetterGroups1795370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "fingerprint" text, ADD "discarded_at" timestamptz, ADD "discard_id" uuid`);
    // The signature is computed in TypeScript, the same function the repository uses for new rows.
    for (;;) {
      const rows: { id: string; job_name: string; failed_reason: string; stacktrace: string | null }[] = await queryRunner.query(
        `SELECT id, job_name, failed_reason, stacktrace FROM "dead_letters" WHERE "fingerprint" IS NULL LIMIT ${BACKFILL_CHUNK}`,
      );
      if (rows.length === 0) break;
      await queryRunner.query(
        `UPDATE "dead_letters" d SET "fingerprint" = v.fingerprint FROM unnest($1::uuid[], $2::text[]) AS v(id, fingerprint) WHERE d.id = v.id`,
        [rows.map((row) => row.id), rows.map((row) => failureSignature(row.job_name, row.failed_reason, row.stacktrace).fingerprint)],
      );
    }
    await queryRunner.query(`ALTER TABLE "dead_letters" ALTER COLUMN "fingerprint" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX "idx_dead_letters_fingerprint_live" ON "dead_letters" ("fingerprint", "failed_at") WHERE "discarded_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "idx_dead_letters_discard_id" ON "dead_letters" ("discard_id") WHERE "discard_id" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_dead_letters_discard_id"`);
    await queryRunner.query(`DROP INDEX "idx_dead_letters_fingerprint_live"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "discard_id", DROP COLUMN "discarded_at", DROP COLUMN "fingerprint"`);
  }
}
