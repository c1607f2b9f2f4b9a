import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's user list, newest first, a page at a time: without this index every page sorted
 * the whole `users` table to find its rows (a school district's users, or the bench's million).
 */
export class UsersByCreation1795440000000 implements MigrationInterface {
  name = 'UsersByCreation1795440000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_users_created_at_id" ON "users" ("created_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_users_created_at_id"`);
  }
}
