import { openRepositoryTestDatabase, RepositoryTestDatabase, seedMessage, seedUser } from '../../testing';
import { directConversationKey } from '../entities/conversation.entity';
import { ConversationRepository, DirectConversationExistsError } from './conversation.repository';
import { MessageRepository } from './message.repository';

describe('ConversationRepository', () => {
  let db: RepositoryTestDatabase;
  let conversations: ConversationRepository;
  let ann: string;
  let ben: string;
  let cat: string;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('conversation-repository-spec');
    conversations = new ConversationRepository(db.dataSource);
    [ann, ben, cat] = [await seedUser(db.dataSource, 'Ann'), await seedUser(db.dataSource, 'Ben'), await seedUser(db.dataSource, 'Cat')];
  });
  afterAll(() => db?.close());

  it('creates a direct conversation once per pair of users', async () => {
    const directKey = directConversationKey(ann, ben);
    const create = () =>
      db.dataSource.transaction((manager) =>
        conversations.create(manager, { type: 'direct', title: null, directKey, createdBy: ann, participantIds: [ann, ben] }),
      );
    const id = await create();
    await expect(create()).rejects.toThrow(DirectConversationExistsError);
    const found = await conversations.findDirect(directKey);
    expect(found).toMatchObject({ id, type: 'direct', title: null });
    expect(found?.participants.map((p) => p.userId).sort()).toEqual([ann, ben].sort());
    expect(await conversations.findType(id)).toBe('direct');
    expect(await conversations.findDirect(directConversationKey(ann, cat))).toBeUndefined();
  });

  it('adds, re-adds and removes a group member', async () => {
    const id = await db.dataSource.transaction((manager) =>
      conversations.create(manager, { type: 'group', title: 'Year 5', directKey: null, createdBy: ann, participantIds: [ann, ben] }),
    );
    expect(await conversations.addParticipant(id, cat)).toBe(true);
    expect(await conversations.addParticipant(id, cat)).toBe(false);
    await conversations.removeParticipant(id, cat);
    await conversations.removeParticipant(id, cat);
    expect((await conversations.listFor(cat)).map((c) => c.id)).not.toContain(id);
    expect(await conversations.addParticipant(id, cat)).toBe(true);
    expect((await conversations.listFor(cat)).map((c) => c.id)).toContain(id);
    await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [id]);
    expect(await conversations.findType(id)).toBeUndefined();
    expect((await conversations.listFor(cat)).map((c) => c.id)).not.toContain(id);
  });

  it('lists a member’s conversations, latest message first, with unread counts and the last message', async () => {
    const quiet = await db.dataSource.transaction((manager) =>
      conversations.create(manager, { type: 'group', title: 'Quiet', directKey: null, createdBy: cat, participantIds: [cat, ann] }),
    );
    const busy = await db.dataSource.transaction((manager) =>
      conversations.create(manager, { type: 'group', title: 'Busy', directKey: null, createdBy: ben, participantIds: [ben, cat] }),
    );
    await seedMessage(db.dataSource, busy, ben, [cat]);
    const last = await seedMessage(db.dataSource, busy, ben, [cat]);
    await seedMessage(db.dataSource, busy, cat, [ben]);
    const listed = await conversations.listFor(cat);
    expect(listed.map((c) => c.id)).toEqual([busy, quiet]);
    // Cat's own message is the latest, and not unread.
    expect(listed[0]).toMatchObject({ type: 'group', title: 'Busy', unread: 2 });
    expect(listed[0]?.participantIds.sort()).toEqual([ben, cat].sort());
    expect(listed[1]).toMatchObject({ unread: 0, lastMessageId: null });
    expect(listed[1]?.participantIds.sort()).toEqual([cat, ann].sort());
    const [latest] = await new MessageRepository(db.dataSource).findByIds([listed[0]?.lastMessageId as string, last]);
    expect(latest?.conversationId).toBe(busy);
    expect(await new MessageRepository(db.dataSource).findByIds([])).toEqual([]);
  });
});
