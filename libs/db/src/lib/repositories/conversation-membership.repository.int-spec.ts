import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { BatchRepository, SendingBatch } from './batch.repository';
import { ConversationRepository } from './conversation.repository';
import { DeliveryRepository } from './delivery.repository';

describe('Memberships, deliveries and group batches', () => {
  let db: RepositoryTestDatabase;
  let conversations: ConversationRepository;
  let deliveries: DeliveryRepository;
  let batches: BatchRepository;
  let ann: string;
  let ben: string;
  let cat: string;
  let dan: string;
  let outsider: string;

  const sorted = (ids: readonly string[]): string[] => [...ids].sort();
  const leave = (conversationId: string, userId: string): Promise<unknown> =>
    db.dataSource.query(`UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2`, [conversationId, userId]);
  const seedBroadcast = async (createdBy: string): Promise<string> => {
    const [row]: { id: string }[] = await db.dataSource.query(
      `INSERT INTO conversations (type, title, created_by) VALUES ('broadcast', 'News', $1) RETURNING id`,
      [createdBy],
    );
    return (row as { id: string }).id;
  };

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('conversation-membership-spec');
    conversations = new ConversationRepository(db.dataSource);
    deliveries = new DeliveryRepository(db.dataSource);
    batches = new BatchRepository(db.dataSource);
    [ann, ben, cat, dan, outsider] = [
      await seedUser(db.dataSource, 'Ann'),
      await seedUser(db.dataSource, 'Ben'),
      await seedUser(db.dataSource, 'Cat'),
      await seedUser(db.dataSource, 'Dan'),
      await seedUser(db.dataSource, 'Outsider'),
    ];
  });
  afterAll(() => db?.close());

  describe('ConversationRepository', () => {
    it('answers each lookup’s membership in order, undefined when not a current member of a live conversation', async () => {
      const group = await seedConversation(db.dataSource, [ann, ben, cat]);
      const broadcast = await seedBroadcast(ann);
      await db.dataSource.query(`INSERT INTO conversation_participants (conversation_id, user_id, last_read_seq) VALUES ($1, $2, 7)`, [broadcast, ben]);
      const deleted = await seedConversation(db.dataSource, [ann, ben]);
      await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [deleted]);
      await db.dataSource.query(`UPDATE conversation_participants SET last_read_seq = 42 WHERE conversation_id = $1 AND user_id = $2`, [group, ben]);
      await leave(group, cat);

      expect(
        await conversations.memberships([
          { userId: ben, conversationId: broadcast },
          { userId: outsider, conversationId: group },
          { userId: ben, conversationId: group },
          { userId: cat, conversationId: group },
          { userId: ann, conversationId: deleted },
          { userId: ann, conversationId: group },
          { userId: ann, conversationId: randomUUID() },
          { userId: ben, conversationId: group },
        ]),
      ).toEqual([
        { conversationId: broadcast, type: 'broadcast', lastReadSeq: 7 },
        undefined,
        { conversationId: group, type: 'group', lastReadSeq: 42 },
        undefined,
        undefined,
        { conversationId: group, type: 'group', lastReadSeq: 0 },
        undefined,
        { conversationId: group, type: 'group', lastReadSeq: 42 },
      ]);
      expect(await conversations.memberships([])).toEqual([]);
    });

    it('lists the user’s current conversations and a conversation’s current participants', async () => {
      const [a, b, left, deleted] = [
        await seedConversation(db.dataSource, [dan, ann]),
        await seedConversation(db.dataSource, [ben, dan]),
        await seedConversation(db.dataSource, [dan, cat]),
        await seedConversation(db.dataSource, [dan, ben]),
      ];
      await leave(left, dan);
      await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [deleted]);

      expect(sorted(await conversations.idsOf(dan))).toEqual(sorted([a, b]));
      expect(await conversations.idsOf(outsider)).toEqual([]);
      expect(sorted(await conversations.participantIds(a))).toEqual(sorted([dan, ann]));
      expect(await conversations.participantIds(left)).toEqual([cat]);
      expect(await conversations.participantIds(randomUUID())).toEqual([]);
    });

    it('adds participants, leaving the ones already there as they are', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben]);
      await leave(conversation, ben);
      await db.dataSource.query(`UPDATE conversation_participants SET last_read_seq = 3 WHERE conversation_id = $1 AND user_id = $2`, [conversation, ann]);
      await db.dataSource.transaction((manager) => conversations.addParticipants(manager, conversation, [ann, ben, cat, dan]));
      await db.dataSource.transaction((manager) => conversations.addParticipants(manager, conversation, [cat, dan]));
      const rows: { user_id: string; left: boolean; last_read_seq: string }[] = await db.dataSource.query(
        `SELECT user_id, left_at IS NOT NULL AS left, last_read_seq FROM conversation_participants WHERE conversation_id = $1 ORDER BY user_id`,
        [conversation],
      );
      expect(rows).toEqual(
        [
          { user_id: ann, left: false, last_read_seq: '3' },
          { user_id: ben, left: true, last_read_seq: '0' },
          { user_id: cat, left: false, last_read_seq: '0' },
          { user_id: dan, left: false, last_read_seq: '0' },
        ].sort((x, y) => x.user_id.localeCompare(y.user_id)),
      );
      expect(sorted(await conversations.participantIds(conversation))).toEqual(sorted([ann, cat, dan]));
    });
  });

  describe('DeliveryRepository', () => {
    it('lists a message’s deliveries by recipient, with ISO times to the millisecond or null', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben, cat, dan]);
      const message = await seedMessage(db.dataSource, conversation, ann, [ben, cat, dan]);
      await db.dataSource.query(
        `UPDATE message_deliveries SET status = 'read', attempts = 1, sent_at = '2030-01-02T03:04:05.006+02:00', delivered_at = '2030-01-02T01:04:06.100Z',
           read_at = '2030-01-02T01:04:07Z' WHERE message_id = $1 AND recipient_id = $2`,
        [message, ben],
      );
      await db.dataSource.query(
        `UPDATE message_deliveries SET status = 'failed', attempts = 5, failure_reason = 'gone' WHERE message_id = $1 AND recipient_id = $2`,
        [message, cat],
      );

      const expected = [
        {
          recipientId: ben,
          status: 'read',
          attempts: 1,
          failureReason: null,
          sentAt: '2030-01-02T01:04:05.006Z',
          deliveredAt: '2030-01-02T01:04:06.100Z',
          readAt: '2030-01-02T01:04:07.000Z',
        },
        { recipientId: cat, status: 'failed', attempts: 5, failureReason: 'gone', sentAt: null, deliveredAt: null, readAt: null },
        { recipientId: dan, status: 'queued', attempts: 0, failureReason: null, sentAt: null, deliveredAt: null, readAt: null },
      ].sort((x, y) => x.recipientId.localeCompare(y.recipientId));
      expect(await deliveries.forMessage(message)).toEqual(expected);
      expect(await deliveries.forMessage(randomUUID())).toEqual([]);
    });

    it('answers which messages the recipient has not confirmed, and the job a message’s deliveries belong to', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben]);
      const [queued, sent, delivered, read, failed, other] = [
        await seedMessage(db.dataSource, conversation, ann, [ben]),
        await seedMessage(db.dataSource, conversation, ann, [ben]),
        await seedMessage(db.dataSource, conversation, ann, [ben]),
        await seedMessage(db.dataSource, conversation, ann, [ben]),
        await seedMessage(db.dataSource, conversation, ann, [ben]),
        await seedMessage(db.dataSource, conversation, ben, [ann]),
      ];
      for (const [id, status] of [
        [sent, 'sent'],
        [delivered, 'delivered'],
        [read, 'read'],
        [failed, 'failed'],
      ] as const) {
        await db.dataSource.query(`UPDATE message_deliveries SET status = $2 WHERE message_id = $1`, [id, status]);
      }
      expect(sorted(await deliveries.unconfirmed(ben, [queued, sent, delivered, read, failed, other, randomUUID()]))).toEqual(sorted([queued, sent]));
      expect(await deliveries.unconfirmed(ann, [queued, other])).toEqual([other]);
      expect(await deliveries.unconfirmed(ben, [])).toEqual([]);

      expect(await deliveries.jobOf(queued)).toBeUndefined();
      await db.dataSource.query(`UPDATE message_deliveries SET job_id = 'send-job-1' WHERE message_id = $1`, [queued]);
      expect(await deliveries.jobOf(queued)).toBe('send-job-1');
      expect(await deliveries.jobOf(randomUUID())).toBeUndefined();
    });
  });

  describe('BatchRepository: a group’s fan-out', () => {
    it('creates a group batch, locks it for sending, starts, advances and completes it', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben, cat]);
      const message = await seedMessage(db.dataSource, conversation, ann, []);
      const id = randomUUID();
      await db.dataSource.transaction((manager) =>
        batches.createGroup(manager, { id, messageId: message, conversationId: conversation, createdBy: ann, total: 2, chunkSize: 50 }),
      );
      expect(await batches.find(id)).toEqual({ id, total: 2, processed: 0, failed: 0, status: 'queued', chunkSize: 50, chunkDelayMs: 0 });

      const timesOf = async (): Promise<{ job_id: string | null; started_at: Date | null; finished_at: Date | null }> =>
        (
          (await db.dataSource.query(`SELECT job_id, started_at, finished_at FROM batches WHERE id = $1`, [id])) as {
            job_id: string | null;
            started_at: Date | null;
            finished_at: Date | null;
          }[]
        )[0] as { job_id: string | null; started_at: Date | null; finished_at: Date | null };

      await db.dataSource.transaction(async (manager) => {
        const batch = await batches.lockForSending(manager, id);
        expect(batch).toEqual({
          id,
          kind: 'group',
          messageId: message,
          conversationId: conversation,
          createdBy: ann,
          recipientIds: null,
          total: 2,
          processed: 0,
          status: 'queued',
          cursor: null,
        });
        // Pause and cancel wait for the chunk.
        await expect(
          db.dataSource.transaction(async (other) => {
            await other.query(`SET LOCAL lock_timeout = '200ms'`);
            await batches.transition(id, 'paused', ['queued', 'running'], other);
          }),
        ).rejects.toThrow(/lock timeout/);
        await batches.start(manager, id, 'batch:job-1');
        await batches.advance(manager, id, 1, 'cursor-1');
      });
      const started = await timesOf();
      expect(started.job_id).toBe('batch:job-1');
      expect(started.started_at).toBeInstanceOf(Date);
      expect(await batches.find(id)).toMatchObject({ status: 'running', processed: 1 });

      await db.dataSource.transaction(async (manager) => {
        // A later job takes it over, keeping when it first started.
        await batches.start(manager, id, 'batch:job-2');
        await batches.advance(manager, id, 1, 'cursor-2');
        expect(await batches.lockForSending(manager, id)).toMatchObject({ processed: 2, cursor: 'cursor-2', status: 'running' });
        await batches.complete(manager, id);
      });
      const done = await timesOf();
      expect(done.job_id).toBe('batch:job-2');
      expect(done.started_at).toEqual(started.started_at);
      expect(done.finished_at).toBeInstanceOf(Date);
      expect(await batches.find(id)).toMatchObject({ status: 'completed', processed: 2 });
      expect(await db.dataSource.transaction((manager) => batches.lockForSending(manager, randomUUID()))).toBeUndefined();
    });

    it('walks the group’s current participants after the cursor, in id order, never its creator', async () => {
      const members = [await seedUser(db.dataSource), await seedUser(db.dataSource), await seedUser(db.dataSource), await seedUser(db.dataSource)];
      const conversation = await seedConversation(db.dataSource, [ann, ...members]);
      const [gone, ...stay] = members as [string, ...string[]];
      await leave(conversation, gone);
      const expected = sorted(stay);
      const batch = (cursor: string | null): SendingBatch => ({
        id: randomUUID(),
        kind: 'group',
        messageId: randomUUID(),
        conversationId: conversation,
        createdBy: ann,
        recipientIds: null,
        total: 3,
        processed: 0,
        status: 'running',
        cursor,
      });
      const walk = (cursor: string | null, size: number): Promise<string[]> =>
        db.dataSource.transaction((manager) => batches.recipientsAfter(manager, batch(cursor), size));

      expect(await walk(null, 10)).toEqual(expected);
      expect(await walk(null, 2)).toEqual(expected.slice(0, 2));
      expect(await walk(expected[1] as string, 10)).toEqual(expected.slice(2));
      expect(await walk(expected[2] as string, 10)).toEqual([]);
    });

    it('walks every active user after the cursor for a broadcast, in id order, never its creator', async () => {
      const inactive = await seedUser(db.dataSource, 'Inactive');
      await db.dataSource.query(`UPDATE users SET active = false WHERE id = $1`, [inactive]);
      const all: string[] = ((await db.dataSource.query(`SELECT id FROM users`)) as { id: string }[]).map((r) => r.id);
      const expected = sorted(all.filter((id) => id !== ann && id !== inactive));
      expect(expected.length).toBeGreaterThan(3);
      const batch = (cursor: string | null): SendingBatch => ({
        id: randomUUID(),
        kind: 'broadcast',
        messageId: randomUUID(),
        conversationId: randomUUID(),
        createdBy: ann,
        recipientIds: null,
        total: expected.length,
        processed: 0,
        status: 'running',
        cursor,
      });
      const walk = (cursor: string | null, size: number): Promise<string[]> =>
        db.dataSource.transaction((manager) => batches.recipientsAfter(manager, batch(cursor), size));

      expect(await walk(null, 1000)).toEqual(expected);
      expect(await walk(null, 2)).toEqual(expected.slice(0, 2));
      expect(await walk(expected[1] as string, 2)).toEqual(expected.slice(2, 4));
      expect(await walk(expected[expected.length - 1] as string, 10)).toEqual([]);
    });

    it('reads only the rows a step answers, however far the walk has gone (generic plans, as the apps plan)', async () => {
      await db.dataSource.query(
        `INSERT INTO users (email, display_name, password_hash) SELECT 'walk-' || g || '-' || $1 || '@example.com', 'Walk', 'x' FROM generate_series(1, 600) g`,
        [randomUUID()],
      );
      const group = await seedConversation(db.dataSource, [ann]);
      await db.dataSource.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, id FROM users WHERE id <> $2`, [group, ann]);
      await db.dataSource.query(`ANALYZE users; ANALYZE conversation_participants`);
      const everyone = sorted(((await db.dataSource.query(`SELECT id FROM users WHERE id <> $1`, [ann])) as { id: string }[]).map((r) => r.id));
      const cursor = everyone[everyone.length - 20] as string;
      for (const kind of ['broadcast', 'group'] as const) {
        const { chunk, rowsRead } = await db.dataSource.transaction(async (manager) => {
          await manager.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
          // Rows fetched by index or read by scan, as this backend counts them (no flush inside a transaction).
          const rowsReadSoFar = async (): Promise<number> => {
            const [read]: { n: string }[] = await manager.query(
              `SELECT COALESCE(sum(COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0)), 0) AS n FROM pg_stat_xact_user_tables WHERE relname IN ('users', 'conversation_participants')`,
            );
            return Number(read?.n);
          };
          const before = await rowsReadSoFar();
          const batch: SendingBatch = {
            id: randomUUID(),
            kind,
            messageId: randomUUID(),
            conversationId: group,
            createdBy: ann,
            recipientIds: null,
            total: everyone.length,
            processed: 0,
            status: 'running',
            cursor,
          };
          const chunk = await batches.recipientsAfter(manager, batch, 5);
          return { chunk, rowsRead: (await rowsReadSoFar()) - before };
        });
        const active = sorted(((await db.dataSource.query(`SELECT id FROM users WHERE active AND id <> $1`, [ann])) as { id: string }[]).map((r) => r.id));
        expect(chunk).toEqual((kind === 'group' ? everyone : active).filter((id) => id > cursor).slice(0, 5));
        // Scanning from the first row would read about 600.
        expect(rowsRead).toBeLessThan(50);
      }
    });
  });
});
