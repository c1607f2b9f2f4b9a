import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { failureSignature } from '../failure-fingerprint';
import { DEAD_LETTER_UNDO_MINUTES, DeadLetterRepository } from './dead-letter.repository';
import { RetentionRepository } from './retention.repository';

describe('RetentionRepository', () => {
  let db: RepositoryTestDatabase;
  let retention: RetentionRepository;
  let conversation: string;
  let sender: string;
  let reader: string;

  const remaining = async (): Promise<number> => ((await db.dataSource.query(`SELECT count(*)::int AS n FROM messages`)) as { n: number }[])[0]?.n ?? -1;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('retention-repository-spec');
    retention = new RetentionRepository(db.dataSource);
    [sender, reader] = [await seedUser(db.dataSource), await seedUser(db.dataSource)];
    conversation = await seedConversation(db.dataSource, [sender, reader]);
  });
  afterAll(() => db?.close());

  it('counts and deletes messages past the retention, a batch at a time', async () => {
    for (let i = 0; i < 5; i++) await seedMessage(db.dataSource, conversation, sender, [reader]);
    const recent = await seedMessage(db.dataSource, conversation, sender, [reader]);
    await db.dataSource.query(`UPDATE messages SET created_at = now() - interval '40 days' WHERE id <> $1`, [recent]);
    expect(await retention.countDue('old_messages', 30)).toBe(5);
    expect(await retention.countDue('old_messages', 60)).toBe(0);
    expect(await retention.deleteDue('old_messages', 30, 2)).toBe(2);
    expect(await retention.deleteDue('old_messages', 30, 2)).toBe(2);
    expect(await retention.deleteDue('old_messages', 30, 2)).toBe(1);
    expect(await retention.deleteDue('old_messages', 30, 2)).toBe(0);
    expect(await remaining()).toBe(1);
  });

  it('purges soft-deleted messages and conversations, their rows with them', async () => {
    const deleted = await seedMessage(db.dataSource, conversation, sender, [reader]);
    await db.dataSource.query(`UPDATE messages SET deleted_at = now() WHERE id = $1`, [deleted]);
    expect(await retention.countDue('deleted_messages', 30)).toBe(1);
    expect(await retention.deleteDue('deleted_messages', 30, 100)).toBe(1);
    expect(await retention.countDue('deleted_conversations', 30)).toBe(0);
    await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [conversation]);
    expect(await retention.deleteDue('deleted_conversations', 30, 100)).toBe(1);
    expect(await remaining()).toBe(0);
    expect(await retention.countDue('expired_attachments', 30)).toBe(0);
  });

  it('purges discarded dead letters only once their undo window has passed', async () => {
    const letters = new DeadLetterRepository(db.dataSource);
    for (const jobId of ['old', 'recent']) {
      await letters.record({
        queue: 'message-delivery',
        jobId,
        jobName: 'send-message',
        data: {},
        failedReason: 'boom',
        stacktrace: null,
        attemptsMade: 5,
        failedAt: new Date(),
      });
    }
    const { discardId } = await letters.discardGroup(failureSignature('send-message', 'boom', null).fingerprint);
    expect(await retention.countDue('discarded_dead_letters', 30)).toBe(0);
    await db.dataSource.query(`UPDATE dead_letters SET discarded_at = now() - make_interval(mins => $1 + 1) WHERE job_id = 'old'`, [DEAD_LETTER_UNDO_MINUTES]);
    expect(await retention.countDue('discarded_dead_letters', 30)).toBe(1);
    expect(await retention.deleteDue('discarded_dead_letters', 30, 100)).toBe(1);
    expect(await letters.restore(discardId)).toBe(1);
    expect((await letters.page({ limit: 10 })).items.map((letter) => letter.jobId)).toEqual(['recent']);
  });
});
