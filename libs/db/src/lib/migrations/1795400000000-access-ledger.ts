import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * access_ledger: who read whose message content, hash-chained and append-only. The trigger
 * refuses UPDATE, DELETE and TRUNCATE to every role except a superuser who disables it; the
 * grants are revoked from PUBLIC too, and the app's own role should hold only INSERT and
 * SELECT on it (README, "Access ledger"). access_ledger_head is the chain's head, one row.
 */
export class AccessLedger1795400000000 implements MigrationInterface {
  name = 'AccessLedger1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "access_ledger" (
      "seq" bigint NOT NULL,
      "actor_id" uuid NOT NULL,
      "subject_ids" uuid array NOT NULL,
      "conversation_ids" uuid array NOT NULL,
      "message_ids" uuid array NOT NULL,
      "via" text NOT NULL,
      "ip" text,
      "user_agent" text,
      "at" timestamptz NOT NULL,
      "prev_hash" bytea NOT NULL,
      "hash" bytea NOT NULL,
      CONSTRAINT "pk_access_ledger" PRIMARY KEY ("seq"),
      CONSTRAINT "chk_access_ledger_via" CHECK ("via" IN ('history', 'socket-sync', 'conversation-list', 'message-edit', 'export'))
    )`);
    await queryRunner.query(`CREATE INDEX "idx_access_ledger_subject_ids" ON "access_ledger" USING gin ("subject_ids")`);
    await queryRunner.query(`CREATE INDEX "idx_access_ledger_actor_id_seq" ON "access_ledger" ("actor_id", "seq")`);
    await queryRunner.query(`CREATE TABLE "access_ledger_head" (
      "id" smallint NOT NULL,
      "seq" bigint NOT NULL,
      "hash" bytea NOT NULL,
      "anchored_seq" bigint NOT NULL,
      CONSTRAINT "pk_access_ledger_head" PRIMARY KEY ("id"),
      CONSTRAINT "chk_access_ledger_head_single" CHECK ("id" = 1)
    )`);
    await queryRunner.query(`INSERT INTO "access_ledger_head" ("id", "seq", "hash", "anchored_seq") VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0)`);
    await queryRunner.query(`CREATE FUNCTION "access_ledger_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'access_ledger is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "trg_access_ledger_append_only" BEFORE UPDATE OR DELETE ON "access_ledger" FOR EACH ROW EXECUTE FUNCTION "access_ledger_refuse_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_access_ledger_no_truncate" BEFORE TRUNCATE ON "access_ledger" FOR EACH STATEMENT EXECUTE FUNCTION "access_ledger_refuse_change"()`,
    );
    await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "access_ledger" FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "access_ledger_head"`);
    await queryRunner.query(`DROP TABLE "access_ledger"`);
    await queryRunner.query(`DROP FUNCTION "access_ledger_refuse_change"()`);
  }
}
