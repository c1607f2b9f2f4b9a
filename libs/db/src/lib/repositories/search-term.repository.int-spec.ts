import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { OutboxRepository } from './outbox.repository';
import { SearchTermRepository, TermRows } from './search-term.repository';

describe('SearchTermRepository', () => {
  let db: RepositoryTestDatabase;
  let terms: SearchTermRepository;
  let outbox: OutboxRepository;
  let ann: string;
  let ben: string;
  let convA: string;
  let convB: string;

  /** A term's hash, keyed per conversation as the blind index does. */
  const hash = (conversation: string, word: string): Buffer => Buffer.from(`${conversation}:${word}`);
  const rowsFor = (messageId: string, conversationId: string, words: readonly string[]): TermRows => ({
    messageIds: words.map(() => messageId),
    conversationIds: words.map(() => conversationId),
    hashes: words.map((w) => hash(conversationId, w)),
  });
  const concat = (...all: TermRows[]): TermRows => ({
    messageIds: all.flatMap((r) => r.messageIds),
    conversationIds: all.flatMap((r) => r.conversationIds),
    hashes: all.flatMap((r) => r.hashes),
  });
  const add = (rows: TermRows, keyVersion = 1): Promise<Map<string, string>> =>
    db.dataSource.transaction((manager) => outbox.stage(manager, [], [terms.addStatement(rows, keyVersion)]));
  const storedTerms = async (messageId: string): Promise<{ term: string; key_version: number; conversation_id: string }[]> =>
    db.dataSource.query(
      `SELECT convert_from(term_hash, 'UTF8') AS term, key_version, conversation_id FROM search_terms WHERE message_id = $1 ORDER BY term_hash`,
      [messageId],
    );
  /** Query pairs for these words in each conversation. */
  const query = (conversations: readonly string[], words: readonly string[]): { conversationIds: string[]; hashes: Buffer[] } => ({
    conversationIds: conversations.flatMap((c) => words.map(() => c)),
    hashes: conversations.flatMap((c) => words.map((w) => hash(c, w))),
  });
  const at = (messageId: string, iso: string): Promise<unknown> => db.dataSource.query(`UPDATE messages SET created_at = $2 WHERE id = $1`, [messageId, iso]);

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('search-term-repository-spec');
    terms = new SearchTermRepository(db.dataSource);
    outbox = new OutboxRepository(db.dataSource);
    [ann, ben] = [await seedUser(db.dataSource, 'Ann'), await seedUser(db.dataSource, 'Ben')];
    convA = await seedConversation(db.dataSource, [ann, ben]);
    convB = await seedConversation(db.dataSource, [ann, ben]);
  });
  beforeEach(() => db.dataSource.query(`DELETE FROM messages`));
  afterAll(() => db?.close());

  it('adds new messages’ terms through the outbox statement, inside the caller’s transaction', async () => {
    const [m1, m2] = [await seedMessage(db.dataSource, convA, ann, [ben]), await seedMessage(db.dataSource, convB, ann, [ben])];
    expect(await add(concat(rowsFor(m1, convA, ['hello', 'world']), rowsFor(m2, convB, ['hello'])), 4)).toEqual(new Map());
    expect(await storedTerms(m1)).toEqual([
      { term: `${convA}:hello`, key_version: 4, conversation_id: convA },
      { term: `${convA}:world`, key_version: 4, conversation_id: convA },
    ]);
    expect(await storedTerms(m2)).toEqual([{ term: `${convB}:hello`, key_version: 4, conversation_id: convB }]);

    // A term already there is left as it is.
    await add(rowsFor(m1, convA, ['hello', 'again']), 5);
    expect((await storedTerms(m1)).map((t) => [t.term, t.key_version])).toEqual([
      [`${convA}:again`, 5],
      [`${convA}:hello`, 4],
      [`${convA}:world`, 4],
    ]);

    // Rolled back with the transaction it ran in.
    await expect(
      db.dataSource.transaction(async (manager) => {
        await outbox.stage(manager, [], [terms.addStatement(rowsFor(m2, convB, ['lost']), 1)]);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await storedTerms(m2)).toHaveLength(1);
  });

  it('replaces the terms of messages still as they were read, removing outdated ones', async () => {
    const [live, edited, deleted] = [
      await seedMessage(db.dataSource, convA, ann, [ben]),
      await seedMessage(db.dataSource, convA, ann, [ben]),
      await seedMessage(db.dataSource, convA, ann, [ben]),
    ];
    await add(concat(rowsFor(live, convA, ['old', 'kept']), rowsFor(edited, convA, ['before']), rowsFor(deleted, convA, ['gone'])), 1);
    await db.dataSource.query(`UPDATE messages SET iv = '\\x01' WHERE id = $1`, [edited]);
    await db.dataSource.query(`UPDATE messages SET deleted_at = now(), status = 'deleted' WHERE id = $1`, [deleted]);

    const readIv = Buffer.from([0]);
    const replacement = concat(rowsFor(live, convA, ['kept', 'new']), rowsFor(edited, convA, ['after']), rowsFor(deleted, convA, ['after']));
    const written = await terms.replace(
      [
        { id: live, iv: readIv },
        { id: edited, iv: readIv },
        { id: deleted, iv: readIv },
      ],
      replacement,
      2,
    );
    expect(written).toEqual([live]);
    expect((await storedTerms(live)).map((t) => [t.term, t.key_version])).toEqual([
      [`${convA}:kept`, 1],
      [`${convA}:new`, 2],
    ]);
    // The edited message (its iv changed since it was read) and the deleted one keep their terms.
    expect((await storedTerms(edited)).map((t) => t.term)).toEqual([`${convA}:before`]);
    expect((await storedTerms(deleted)).map((t) => t.term)).toEqual([`${convA}:gone`]);

    // Read again with its current iv, the edited one is written.
    expect(await terms.replace([{ id: edited, iv: Buffer.from([1]) }], rowsFor(edited, convA, ['after']), 2)).toEqual([edited]);
    expect((await storedTerms(edited)).map((t) => t.term)).toEqual([`${convA}:after`]);
    // No terms at all: the message's terms are all outdated.
    expect(await terms.replace([{ id: live, iv: readIv }], { messageIds: [], hashes: [] }, 2)).toEqual([live]);
    expect(await storedTerms(live)).toEqual([]);
    expect(await terms.replace([], { messageIds: [], hashes: [] }, 2)).toEqual([]);
  });

  it('removes the terms of the given messages only', async () => {
    const [m1, m2, m3] = [
      await seedMessage(db.dataSource, convA, ann, [ben]),
      await seedMessage(db.dataSource, convA, ann, [ben]),
      await seedMessage(db.dataSource, convA, ann, [ben]),
    ];
    await add(concat(rowsFor(m1, convA, ['a', 'b']), rowsFor(m2, convA, ['a']), rowsFor(m3, convA, ['a'])));
    await terms.removeFor([m1, m2]);
    expect(await storedTerms(m1)).toEqual([]);
    expect(await storedTerms(m2)).toEqual([]);
    expect(await storedTerms(m3)).toHaveLength(1);
    await terms.removeFor([]);
    expect(await storedTerms(m3)).toHaveLength(1);
  });

  describe('find', () => {
    it('finds messages holding every term, per conversation, newest first, up to the limit', async () => {
      const [a1, a2, a3, b1] = [
        await seedMessage(db.dataSource, convA, ann, [ben]),
        await seedMessage(db.dataSource, convA, ben, [ann]),
        await seedMessage(db.dataSource, convA, ann, [ben]),
        await seedMessage(db.dataSource, convB, ann, [ben]),
      ];
      await at(a1, '2030-01-01T10:00:00Z');
      await at(a2, '2030-01-01T12:00:00Z');
      await at(a3, '2030-01-01T11:00:00Z');
      await at(b1, '2030-01-01T13:00:00Z');
      await add(
        concat(
          rowsFor(a1, convA, ['hello', 'world']),
          rowsFor(a2, convA, ['hello', 'world', 'again']),
          rowsFor(a3, convA, ['hello']),
          rowsFor(b1, convB, ['hello', 'world']),
        ),
      );

      const both = await terms.find(query([convA, convB], ['hello', 'world']), 2, 10);
      expect(both.map((h) => h.messageId)).toEqual([b1, a2, a1]);
      const seqs = await db.dataSource.query(`SELECT id, seq FROM messages WHERE id = $1`, [a2]);
      expect(both[1]).toEqual({ messageId: a2, conversationId: convA, seq: Number(seqs[0].seq), createdAt: new Date('2030-01-01T12:00:00Z') });

      expect((await terms.find(query([convA], ['hello', 'world']), 2, 10)).map((h) => h.messageId)).toEqual([a2, a1]);
      expect((await terms.find(query([convA], ['hello']), 1, 10)).map((h) => h.messageId)).toEqual([a2, a3, a1]);
      expect((await terms.find(query([convA, convB], ['hello', 'world']), 2, 2)).map((h) => h.messageId)).toEqual([b1, a2]);
      expect(await terms.find(query([convA], ['hello', 'nowhere']), 2, 10)).toEqual([]);
    });

    it('matches a term only in the conversation it is paired with', async () => {
      const [a1, b1] = [await seedMessage(db.dataSource, convA, ann, [ben]), await seedMessage(db.dataSource, convB, ann, [ben])];
      // convA's hash of a word, stored (by whatever accident) on a message of convB.
      await add(concat(rowsFor(a1, convA, ['word']), { messageIds: [b1], conversationIds: [convB], hashes: [hash(convA, 'word')] }));
      expect((await terms.find({ conversationIds: [convA], hashes: [hash(convA, 'word')] }, 1, 10)).map((h) => h.messageId)).toEqual([a1]);
      expect(await terms.find({ conversationIds: [convB], hashes: [hash(convB, 'word')] }, 1, 10)).toEqual([]);
      // One term in each conversation does not add up to two.
      await add(rowsFor(a1, convA, ['other']));
      expect(await terms.find({ conversationIds: [convA, convB], hashes: [hash(convA, 'word'), hash(convB, 'other')] }, 2, 10)).toEqual([]);
    });

    it('leaves out deleted messages and messages not sent yet (no seq)', async () => {
      const [sent, deleted] = [await seedMessage(db.dataSource, convA, ann, [ben]), await seedMessage(db.dataSource, convA, ann, [ben])];
      const [scheduled]: { id: string }[] = await db.dataSource.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status, send_at)
         VALUES ($1, NULL, $2, '\\x00', '\\x00', '\\x00', 1, 'scheduled', now() + interval '1 day') RETURNING id`,
        [convA, ann],
      );
      const scheduledId = (scheduled as { id: string }).id;
      await add(concat(rowsFor(sent, convA, ['word']), rowsFor(deleted, convA, ['word']), rowsFor(scheduledId, convA, ['word'])));
      expect((await terms.find(query([convA], ['word']), 1, 10)).map((h) => h.messageId).sort()).toEqual([sent, deleted].sort());

      // Once it goes out (takes its seq) it is found; a deleted one no longer is.
      await db.dataSource.query(
        `WITH seq AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $2 RETURNING last_seq)
         UPDATE messages SET seq = (SELECT last_seq FROM seq), status = 'queued' WHERE id = $1`,
        [scheduledId, convA],
      );
      await db.dataSource.query(`UPDATE messages SET deleted_at = now(), status = 'deleted' WHERE id = $1`, [deleted]);
      expect((await terms.find(query([convA], ['word']), 1, 10)).map((h) => h.messageId).sort()).toEqual([sent, scheduledId].sort());
    });
  });
});
