import { randomBytes, randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedUser } from '../../testing';
import { DeliverySendRepository } from './delivery-send.repository';
import { MessageRepository, MessageToStore } from './message.repository';

/**
 * A sent message's first status update (messages `queued` -> `sent`, its delivery `queued` ->
 * `sent`) is heap-only (HOT): written beside the old version on its page, so no index of either
 * table gets a second entry per message and vacuum has none to remove. It needs room on the
 * page the row was inserted into (RoomForStatusUpdates1795450000000); without it, a soak of
 * millions of messages spends more on vacuuming the growing indexes than on its statements
 * (tools/bench/PROFILE.md, "The soak to 6,121,127 messages"). Counted, not timed: the
 * transaction's own update counters.
 */
describe('status updates of stored messages', () => {
  let db: RepositoryTestDatabase;
  const MESSAGES = 1_000;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('hot-status-updates-spec');
  });
  afterAll(() => db?.close());

  it('are all heap-only: the way the api stores a batch and the worker marks it sent', async () => {
    const [sender, recipient] = [await seedUser(db.dataSource, 'hot-sender'), await seedUser(db.dataSource, 'hot-recipient')];
    const conversationId = await seedConversation(db.dataSource, [sender, recipient]);
    const jobId = `hot-${randomUUID()}`;
    const items: MessageToStore[] = Array.from({ length: MESSAGES }, () => ({
      message: {
        id: randomUUID(),
        conversationId,
        senderId: sender,
        clientMessageId: randomUUID(),
        // A short chat message's ciphertext, as the bench sends them.
        ciphertext: randomBytes(120),
        iv: randomBytes(12),
        authTag: randomBytes(16),
        keyVersion: 1,
        priority: 'normal',
        sendAt: null,
      },
      mayFanOut: false,
      jobId,
    }));
    const stored = await new MessageRepository(db.dataSource).storeBatch(
      items,
      [{ queue: 'message-delivery', jobName: 'send-message', jobId, priority: 2, availableAt: new Date() }],
      100,
    );
    expect(stored.filter((row) => row.kind === 'message')).toHaveLength(MESSAGES);

    const sends = new DeliverySendRepository();
    const counts = await db.dataSource.transaction(async (manager) => {
      const ids = items.map((item) => item.message.id);
      const { pending } = await sends.claim(manager, ids);
      for (const statement of [
        sends.messageStatusesStatement(ids.map((messageId) => ({ messageId, status: 'sent' as const }))),
        sends.markSentStatement(pending),
      ]) {
        await manager.query(statement.sql, [...statement.params]);
      }
      return (await manager.query(
        `SELECT relname AS table, n_tup_upd::int AS updates, n_tup_hot_upd::int AS hot FROM pg_stat_xact_user_tables
         WHERE relname IN ('messages', 'message_deliveries') ORDER BY relname`,
      )) as { table: string; updates: number; hot: number }[];
    });

    expect(counts).toEqual([
      { table: 'message_deliveries', updates: MESSAGES, hot: MESSAGES },
      { table: 'messages', updates: MESSAGES, hot: MESSAGES },
    ]);
  });
});
