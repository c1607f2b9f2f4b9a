import { DataSource } from 'typeorm';
import { DatabaseProbe } from '../database.probe';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { ConversationRepository } from './conversation.repository';
import { MessageRepository } from './message.repository';

describe('MessageRepository and a walk over conversations, as key rotation uses them', () => {
  let db: RepositoryTestDatabase;
  let messages: MessageRepository;
  let conversations: ConversationRepository;
  let conversation: string;
  let ids: string[];

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('message-repository-spec');
    messages = new MessageRepository(db.dataSource);
    conversations = new ConversationRepository(db.dataSource);
    const [ann, ben] = [await seedUser(db.dataSource), await seedUser(db.dataSource)];
    conversation = await seedConversation(db.dataSource, [ann as string, ben as string]);
    ids = [];
    for (let i = 0; i < 3; i++) ids.push(await seedMessage(db.dataSource, conversation, ann as string, [ben as string]));
    await db.dataSource.query(
      `INSERT INTO encryption_keys (conversation_id, version, wrapped_key, wrap_iv, wrap_tag, master_key_id, status) VALUES ($1, 2, '\\x00', '\\x00', '\\x00', 'm1', 'active')`,
      [conversation],
    );
  });
  afterAll(() => db?.close());

  it('finds conversations whose messages are behind their active key, and re-encrypts them a batch at a time', async () => {
    expect(await messages.conversationsBehindActiveKey()).toEqual([conversation]);
    await db.dataSource.transaction(async (manager) => {
      const stale = await messages.lockUnderOlderKey(manager, conversation, 2, 2);
      expect(stale.map((m) => m.id)).toEqual([...ids].sort().slice(0, 2));
      for (const message of stale) {
        await messages.replaceEncryption(manager, message.id, message.keyVersion, {
          ciphertext: Buffer.from('new'),
          iv: Buffer.alloc(12),
          authTag: Buffer.alloc(16),
          keyVersion: 2,
        });
      }
      // Already moved on by someone else: left as it is.
      await messages.replaceEncryption(manager, stale[0]?.id as string, 1, {
        ciphertext: Buffer.from('stale write'),
        iv: Buffer.alloc(12),
        authTag: Buffer.alloc(16),
        keyVersion: 2,
      });
    });
    const rows = await messages.findByIds(ids);
    expect(rows.filter((m) => m.keyVersion === 2).map((m) => m.ciphertext.toString())).toEqual(['new', 'new']);
    expect(await db.dataSource.transaction((manager) => messages.lockUnderOlderKey(manager, conversation, 2, 10))).toHaveLength(1);
  });

  it('walks every conversation in id order and counts them', async () => {
    const others = [
      await seedConversation(db.dataSource, [await seedUser(db.dataSource)]),
      await seedConversation(db.dataSource, [await seedUser(db.dataSource)]),
    ];
    const all = [conversation, ...others].sort();
    expect(await conversations.count()).toBe(3);
    expect(await conversations.idsAfter(null, 2)).toEqual(all.slice(0, 2));
    expect(await conversations.idsAfter(all[1] as string, 2)).toEqual(all.slice(2));
    expect(await conversations.count(all[1])).toBe(2);
  });

  it('says whether Postgres answers', async () => {
    expect(await new DatabaseProbe(db.dataSource).answers()).toBe(true);
    const closed = await new DataSource({ type: 'postgres', url: db.database.url }).initialize();
    await closed.destroy();
    await expect(new DatabaseProbe(closed).answers()).resolves.toBe(false);
  });
});
