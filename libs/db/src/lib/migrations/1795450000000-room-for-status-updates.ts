import { MigrationInterface, QueryRunner } from 'typeorm';

/** Half of each page for new rows, half for their next versions: a message row is updated once on its way (queued -> sent). */
const MESSAGES_FILLFACTOR = 50;
/** A delivery's next version is 8 bytes longer than the row (sent_at set): a little more room than half. */
const DELIVERIES_FILLFACTOR = 45;

/**
 * Room on each page for the next version of every row inserted there, so the first status
 * update of a message and of its delivery is HOT (heap-only: no new entry in any index, nothing
 * for vacuum to remove from them). At fillfactor 90 and 75 a freshly filled page had room for
 * a few of them: 14.4% of the updates of messages were HOT over a soak of 6.1M messages, every
 * other one wrote an entry into all four of its indexes, and vacuuming those indexes grew to
 * twice what the statements cost (tools/bench/PROFILE.md). The price is heap: messages take
 * about 750 bytes per message instead of 400-460, while their indexes shrink by a third.
 * Later updates (delivered, read) find the room that pruning frees on the page.
 */
export class RoomForStatusUpdates1795450000000 implements MigrationInterface {
  name = 'RoomForStatusUpdates1795450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" SET (fillfactor = ${MESSAGES_FILLFACTOR})`);
    await queryRunner.query(`ALTER TABLE "message_deliveries" SET (fillfactor = ${DELIVERIES_FILLFACTOR})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message_deliveries" SET (fillfactor = 75)`);
    await queryRunner.query(`ALTER TABLE "messages" SET (fillfactor = 90)`);
  }
}
