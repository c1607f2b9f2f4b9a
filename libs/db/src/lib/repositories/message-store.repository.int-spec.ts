import { randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { isRetryableStoreConflict, MessageRepository, MessageToStore, SendJobToStage, StoreBatchRow } from './message.repository';

describe('MessageRepository: storing messages', () => {
  let db: RepositoryTestDatabase;
  let messages: MessageRepository;
  let ann: string;
  let ben: string;
  let cat: string;
  let dan: string;
  let eve: string;
  /** Ann, Ben, Cat, and Dan who left. */
  let group: string;
  /** Ann and Ben. */
  let pair: string;
  /** All five. */
  let large: string;

  const item = (
    conversationId: string,
    senderId: string,
    jobId: string,
    extra: Partial<MessageToStore['message']> = {},
    mayFanOut = false,
  ): MessageToStore => ({
    message: {
      id: randomUUID(),
      conversationId,
      senderId,
      clientMessageId: null,
      ciphertext: Buffer.from('cipher'),
      iv: Buffer.alloc(12, 1),
      authTag: Buffer.alloc(16, 2),
      keyVersion: 1,
      priority: 'normal',
      sendAt: null,
      ...extra,
    },
    mayFanOut,
    jobId,
  });
  const sendJob = (jobId: string, availableAt = new Date('2030-01-01T00:00:00.000Z')): SendJobToStage => ({
    queue: 'message-delivery',
    jobName: 'send-message',
    jobId,
    priority: 2,
    availableAt,
  });
  const lastSeq = async (conversationId: string): Promise<number> =>
    Number(((await db.dataSource.query(`SELECT last_seq FROM conversations WHERE id = $1`, [conversationId])) as { last_seq: string }[])[0]?.last_seq);
  const recipientsOf = async (messageId: string): Promise<{ recipient_id: string; status: string; job_id: string | null }[]> =>
    db.dataSource.query(`SELECT recipient_id, status, job_id FROM message_deliveries WHERE message_id = $1 ORDER BY recipient_id`, [messageId]);
  const outboxRow = async (jobId: string): Promise<{ id: string; payload: unknown; priority: number; available_at: Date; job_name: string } | undefined> =>
    (
      (await db.dataSource.query(`SELECT id, payload, priority, available_at, job_name FROM outbox WHERE job_id = $1`, [jobId])) as {
        id: string;
        payload: unknown;
        priority: number;
        available_at: Date;
        job_name: string;
      }[]
    )[0];
  const countMessages = async (ids: readonly string[]): Promise<number> =>
    Number(((await db.dataSource.query(`SELECT count(*) AS n FROM messages WHERE id = ANY($1::uuid[])`, [ids])) as { n: string }[])[0]?.n);
  const kinds = (rows: readonly StoreBatchRow[]): Map<string, StoreBatchRow> => new Map(rows.filter((r) => r.kind !== 'job').map((r) => [r.id, r]));
  const jobRows = (rows: readonly StoreBatchRow[]): Extract<StoreBatchRow, { kind: 'job' }>[] =>
    rows.filter((r): r is Extract<StoreBatchRow, { kind: 'job' }> => r.kind === 'job');
  const sorted = (ids: readonly string[]): string[] => [...ids].sort();

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('message-store-repository-spec');
    messages = new MessageRepository(db.dataSource);
    [ann, ben, cat, dan, eve] = [
      await seedUser(db.dataSource, 'Ann'),
      await seedUser(db.dataSource, 'Ben'),
      await seedUser(db.dataSource, 'Cat'),
      await seedUser(db.dataSource, 'Dan'),
      await seedUser(db.dataSource, 'Eve'),
    ];
    group = await seedConversation(db.dataSource, [ann, ben, cat, dan]);
    await db.dataSource.query(`UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2`, [group, dan]);
    pair = await seedConversation(db.dataSource, [ann, ben]);
    large = await seedConversation(db.dataSource, [ann, ben, cat, dan, eve]);
  });
  afterAll(() => db?.close());

  describe('storeBatch', () => {
    it('stores messages with consecutive seqs per conversation, their deliveries, and one outbox row per job', async () => {
      const [groupBefore, pairBefore] = [await lastSeq(group), await lastSeq(pair)];
      const [j1, j2, j3] = [`send-${randomUUID()}`, `send-${randomUUID()}`, `send-${randomUUID()}`];
      const items = [item(group, ann, j1), item(pair, ann, j1), item(group, ben, j1), item(group, ann, j2, { priority: 'high' })];
      const [a1, a2, a3, a4] = items.map((i) => i.message.id) as [string, string, string, string];

      const rows = await messages.storeBatch(items, [sendJob(j1), sendJob(j2, new Date('2030-02-02T00:00:00.000Z')), sendJob(j3)], 100);
      const byId = kinds(rows);
      expect(byId.get(a1)).toMatchObject({ kind: 'message', seq: groupBefore + 1 });
      expect(byId.get(a3)).toMatchObject({ kind: 'message', seq: groupBefore + 2 });
      expect(byId.get(a4)).toMatchObject({ kind: 'message', seq: groupBefore + 3 });
      expect(byId.get(a2)).toMatchObject({ kind: 'message', seq: pairBefore + 1 });
      const stored = byId.get(a1) as Extract<StoreBatchRow, { kind: 'message' }>;
      expect(stored.createdAt).toBeInstanceOf(Date);
      expect(await lastSeq(group)).toBe(groupBefore + 3);
      expect(await lastSeq(pair)).toBe(pairBefore + 1);

      // Each job lists its stored messages in input order; a job with none gets no row.
      const jobs = jobRows(rows);
      expect(jobs.map((j) => [j.jobId, j.payload])).toEqual(
        expect.arrayContaining([
          [j1, { messageIds: [a1, a2, a3] }],
          [j2, { messageIds: [a4] }],
        ]),
      );
      expect(jobs).toHaveLength(2);
      const j1Row = await outboxRow(j1);
      expect(j1Row).toMatchObject({
        id: jobs.find((j) => j.jobId === j1)?.outboxId,
        job_name: 'send-message',
        priority: 2,
        payload: { messageIds: [a1, a2, a3] },
      });
      expect((await outboxRow(j2))?.available_at.toISOString()).toBe('2030-02-02T00:00:00.000Z');
      expect(await outboxRow(j3)).toBeUndefined();

      // One delivery per other current participant: not the sender, not Dan who left.
      expect(await recipientsOf(a1)).toEqual(sorted([ben, cat]).map((id) => ({ recipient_id: id, status: 'queued', job_id: j1 })));
      expect((await recipientsOf(a3)).map((r) => r.recipient_id)).toEqual(sorted([ann, cat]));
      expect((await recipientsOf(a2)).map((r) => r.recipient_id)).toEqual([ben]);
      expect((await recipientsOf(a4)).map((r) => r.job_id)).toEqual([j2, j2]);

      const [message] = await messages.findByIds([a4]);
      expect(message).toMatchObject({ conversationId: group, senderId: ann, status: 'queued', priority: 'high', seq: groupBefore + 3, sendAt: null });
      expect(message?.ciphertext).toEqual(Buffer.from('cipher'));
      expect(message?.createdAt).toEqual((byId.get(a4) as Extract<StoreBatchRow, { kind: 'message' }>).createdAt);
    });

    it('carries each message’s trace context in its job when any is traced, in the job’s order', async () => {
      const jobId = `job-traced-${randomUUID()}`;
      const tp = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
      const untraced = item(pair, ann, jobId);
      const traced = { ...item(pair, ann, jobId), traceparent: tp };
      const rows = await messages.storeBatch([untraced, traced], [sendJob(jobId)], 100);
      const expected = { messageIds: [untraced.message.id, traced.message.id], traceparents: ['', tp] };
      expect(jobRows(rows).map((j) => j.payload)).toEqual([expected]);
      expect(await outboxRow(jobId)).toMatchObject({ payload: expected });
    });

    it('answers duplicate for a clientMessageId the sender already used, writing nothing for it', async () => {
      const first = item(pair, ann, `send-${randomUUID()}`, { clientMessageId: 'client-1' });
      await messages.storeBatch([first], [sendJob(first.jobId)], 100);
      const before = await lastSeq(pair);

      const again = item(pair, ann, `send-${randomUUID()}`, { clientMessageId: 'client-1' });
      const otherSender = item(pair, ben, `send-${randomUUID()}`, { clientMessageId: 'client-1' });
      const rows = await messages.storeBatch([again, otherSender], [sendJob(again.jobId), sendJob(otherSender.jobId)], 100);
      expect(kinds(rows).get(again.message.id)).toEqual({ kind: 'duplicate', id: again.message.id });
      expect(kinds(rows).get(otherSender.message.id)).toMatchObject({ kind: 'message', seq: before + 1 });
      expect(jobRows(rows).map((j) => j.jobId)).toEqual([otherSender.jobId]);
      expect(await countMessages([again.message.id])).toBe(0);
      expect(await outboxRow(again.jobId)).toBeUndefined();
      expect(await lastSeq(pair)).toBe(before + 1);

      expect((await messages.findByClientId(ann, 'client-1'))?.id).toBe(first.message.id);
      expect((await messages.findByClientId(ben, 'client-1'))?.id).toBe(otherSender.message.id);
      expect(await messages.findByClientId(ann, 'client-unknown')).toBeNull();
    });

    it('leaves a large group’s message to the fan-out when it may fan out, writing nothing', async () => {
      const before = await lastSeq(large);
      const jobId = `send-${randomUUID()}`;
      const fanOut = item(large, ann, jobId, {}, true);
      const direct = item(large, ann, jobId, {}, false);
      const rows = await messages.storeBatch([fanOut, direct], [sendJob(jobId)], 3);
      expect(kinds(rows).get(fanOut.message.id)).toEqual({ kind: 'fan-out', id: fanOut.message.id, recipients: 4 });
      expect(kinds(rows).get(direct.message.id)).toMatchObject({ kind: 'message', seq: before + 1 });
      expect(jobRows(rows).map((j) => j.payload)).toEqual([{ messageIds: [direct.message.id] }]);
      expect(await countMessages([fanOut.message.id])).toBe(0);
      expect(await recipientsOf(fanOut.message.id)).toEqual([]);
      expect(await recipientsOf(direct.message.id)).toHaveLength(4);
      expect(await lastSeq(large)).toBe(before + 1);

      // Not more than the threshold: stored.
      const atThreshold = item(large, ann, `send-${randomUUID()}`, {}, true);
      const stored = await messages.storeBatch([atThreshold], [sendJob(atThreshold.jobId)], 4);
      expect(kinds(stored).get(atThreshold.message.id)).toMatchObject({ kind: 'message', seq: before + 2 });

      // Only fan-out in a job: no outbox row.
      const alone = item(large, ann, `send-${randomUUID()}`, {}, true);
      expect(await messages.storeBatch([alone], [sendJob(alone.jobId)], 3)).toEqual([{ kind: 'fan-out', id: alone.message.id, recipients: 4 }]);
      expect(await outboxRow(alone.jobId)).toBeUndefined();
    });

    it('answers no row at all for a message to a deleted conversation', async () => {
      const gone = await seedConversation(db.dataSource, [ann, ben]);
      await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [gone]);
      const jobId = `send-${randomUUID()}`;
      const lost = item(gone, ann, jobId);
      const lostScheduled = item(gone, ann, `send-${randomUUID()}`, { sendAt: new Date(Date.now() + 3_600_000) });
      const kept = item(pair, ann, jobId);
      const rows = await messages.storeBatch([lost, lostScheduled, kept], [sendJob(jobId), sendJob(lostScheduled.jobId)], 100);
      expect(rows.filter((r) => r.kind !== 'job').map((r) => r.id)).toEqual([kept.message.id]);
      expect(jobRows(rows).map((j) => j.payload)).toEqual([{ messageIds: [kept.message.id] }]);
      expect(await countMessages([lost.message.id, lostScheduled.message.id])).toBe(0);
      expect(await lastSeq(gone)).toBe(0);
      expect(await outboxRow(lostScheduled.jobId)).toBeUndefined();

      // Nothing at all stored: nothing answered.
      const alone = item(gone, ann, `send-${randomUUID()}`);
      expect(await messages.storeBatch([alone], [sendJob(alone.jobId)], 100)).toEqual([]);
      expect(await messages.storeBatch([], [], 100)).toEqual([]);

      // A large group deleted meanwhile is gone too, not a fan-out to start.
      const goneGroup = await seedConversation(db.dataSource, [ann, ben, await seedUser(db.dataSource, 'G1'), await seedUser(db.dataSource, 'G2')]);
      await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [goneGroup]);
      const wouldFanOut = item(goneGroup, ann, `send-${randomUUID()}`, {}, true);
      expect(await messages.storeBatch([wouldFanOut], [sendJob(wouldFanOut.jobId)], 1)).toEqual([]);
    });

    it('stores a scheduled message without a seq, as scheduled, between immediate ones', async () => {
      const before = await lastSeq(group);
      const sendAt = new Date('2031-05-05T05:05:05.000Z');
      const immediateJob = `send-${randomUUID()}`;
      const [q1, s1, q2] = [item(group, ann, immediateJob), item(group, ann, `send-${randomUUID()}`, { sendAt }), item(group, ann, immediateJob)];
      const rows = await messages.storeBatch([q1, s1, q2], [sendJob(immediateJob), sendJob(s1.jobId, sendAt)], 100);
      const byId = kinds(rows);
      expect(byId.get(q1.message.id)).toMatchObject({ kind: 'message', seq: before + 1 });
      expect(byId.get(s1.message.id)).toMatchObject({ kind: 'message', seq: null });
      expect(byId.get(q2.message.id)).toMatchObject({ kind: 'message', seq: before + 2 });
      expect(await lastSeq(group)).toBe(before + 2);

      const [scheduled] = await messages.findByIds([s1.message.id]);
      expect(scheduled).toMatchObject({ seq: null, status: 'scheduled', sendAt });
      expect(await outboxRow(s1.jobId)).toMatchObject({ payload: { messageIds: [s1.message.id] } });
      expect((await outboxRow(s1.jobId))?.available_at).toEqual(sendAt);
      // Its deliveries wait with it.
      expect((await recipientsOf(s1.message.id)).map((r) => r.status)).toEqual(['queued', 'queued']);

      // As it goes out it takes its place.
      await db.dataSource.transaction(async (manager) => {
        const seq = await messages.nextSeq(manager, group);
        expect(seq).toBe(before + 3);
        await messages.placeScheduled(manager, s1.message.id, seq);
      });
      expect((await messages.findByIds([s1.message.id]))[0]).toMatchObject({ seq: before + 3, status: 'queued' });
    });

    it('stores a critical message as critical with its message.critical audit entry (ids only), and a duplicate writes no entry', async () => {
      const job = `send-${randomUUID()}`;
      const [critical, normal] = [item(pair, ann, job, { critical: true, clientMessageId: `c-${randomUUID()}` }), item(pair, ann, job)];
      await messages.storeBatch([critical, normal], [sendJob(job)], 100);
      const stored = await messages.loadMany([critical.message.id, normal.message.id]);
      expect(stored.get(critical.message.id)?.critical).toBe(true);
      expect(stored.get(normal.message.id)?.critical).toBe(false);
      const audited = async () =>
        db.dataSource.query(`SELECT actor_id, target, detail FROM audit_log WHERE action = 'message.critical' AND target = ANY($1)`, [
          [critical.message.id, normal.message.id],
        ]);
      expect(await audited()).toEqual([{ actor_id: ann, target: critical.message.id, detail: { conversationId: pair } }]);
      const again = item(pair, ann, `send-${randomUUID()}`, { critical: true, clientMessageId: critical.message.clientMessageId });
      expect(kinds(await messages.storeBatch([again], [sendJob(again.jobId)], 100)).get(again.message.id)).toMatchObject({ kind: 'duplicate' });
      expect(await audited()).toHaveLength(1);
    });

    it('fails as a whole, retryably, when a batch uses one clientMessageId twice', async () => {
      const [a, b] = [item(pair, ann, 'job-twice', { clientMessageId: 'twice' }), item(pair, ann, 'job-twice', { clientMessageId: 'twice' })];
      const before = await lastSeq(pair);
      const error: unknown = await messages.storeBatch([a, b], [sendJob('job-twice')], 100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(isRetryableStoreConflict(error)).toBe(true);
      expect(await countMessages([a.message.id, b.message.id])).toBe(0);
      expect(await lastSeq(pair)).toBe(before);
      expect(await outboxRow('job-twice')).toBeUndefined();
    });
  });

  describe('isRetryableStoreConflict', () => {
    const failed = (fields: Record<string, unknown>): QueryFailedError => new QueryFailedError('INSERT ...', [], Object.assign(new Error('failed'), fields));

    it('retries a deadlock and a concurrent duplicate clientMessageId, nothing else', () => {
      expect(isRetryableStoreConflict(failed({ code: '40P01' }))).toBe(true);
      expect(isRetryableStoreConflict(failed({ code: '23505', constraint: 'uq_messages_sender_id_client_message_id' }))).toBe(true);
      expect(isRetryableStoreConflict(failed({ code: '23505', constraint: 'pk_messages' }))).toBe(false);
      expect(isRetryableStoreConflict(failed({ code: '40001' }))).toBe(false);
      expect(isRetryableStoreConflict(failed({}))).toBe(false);
      expect(isRetryableStoreConflict(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(false);
      expect(isRetryableStoreConflict(undefined)).toBe(false);
    });
  });

  describe('the other writes and reads', () => {
    it('takes the next seq inside the transaction, gives it back on rollback, and refuses a deleted conversation', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben]);
      expect(await db.dataSource.transaction((manager) => messages.nextSeq(manager, conversation))).toBe(1);
      await expect(
        db.dataSource.transaction(async (manager) => {
          expect(await messages.nextSeq(manager, conversation)).toBe(2);
          expect(await messages.nextSeq(manager, conversation)).toBe(3);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await lastSeq(conversation)).toBe(1);
      await db.dataSource.query(`UPDATE conversations SET deleted_at = now() WHERE id = $1`, [conversation]);
      await expect(db.dataSource.transaction((manager) => messages.nextSeq(manager, conversation))).rejects.toThrow(/does not exist or is deleted/);
    });

    it('inserts one message and answers when it was stored', async () => {
      const id = randomUUID();
      const createdAt = await db.dataSource.transaction(async (manager) =>
        messages.insert(manager, {
          id,
          conversationId: pair,
          seq: await messages.nextSeq(manager, pair),
          senderId: ben,
          ciphertext: Buffer.from('x'),
          iv: Buffer.alloc(12),
          authTag: Buffer.alloc(16),
          keyVersion: 1,
          priority: 'low',
          status: 'queued',
          batchId: null,
          clientMessageId: 'inserted-1',
        }),
      );
      expect(createdAt).toBeInstanceOf(Date);
      const [row]: { created_at: Date }[] = await db.dataSource.query(`SELECT created_at FROM messages WHERE id = $1`, [id]);
      expect(createdAt).toEqual(row?.created_at);
      expect((await messages.findByClientId(ben, 'inserted-1'))?.priority).toBe('low');
    });

    it('pages after a seq, ascending, with tombstones, leaving out unplaced scheduled messages', async () => {
      const conversation = await seedConversation(db.dataSource, [ann, ben]);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push(await seedMessage(db.dataSource, conversation, ann, [ben]));
      await db.dataSource.transaction((manager) => messages.markDeleted(manager, ids[1] as string));
      const scheduled = item(conversation, ann, `send-${randomUUID()}`, { sendAt: new Date(Date.now() + 3_600_000) });
      await messages.storeBatch([scheduled], [sendJob(scheduled.jobId)], 100);

      const page = await messages.pageAfter(conversation, 0, 10);
      expect(page.map((m) => [m.id, m.seq])).toEqual(ids.map((id, i) => [id, i + 1]));
      expect(page[1]).toMatchObject({ status: 'deleted' });
      expect(page[1]?.deletedAt).toBeInstanceOf(Date);
      expect((await messages.pageAfter(conversation, 1, 2)).map((m) => m.seq)).toEqual([2, 3]);
      expect(await messages.pageAfter(conversation, 4, 10)).toEqual([]);
    });

    it('replaces content, marks deleted, sets the batch, and loads many by id', async () => {
      const [m1, m2] = [await seedMessage(db.dataSource, pair, ann, [ben]), await seedMessage(db.dataSource, pair, ann, [ben])];
      const editedAt = new Date('2030-03-03T03:03:03.333Z');
      const edited = await db.dataSource.transaction((manager) =>
        messages.replaceContent(
          manager,
          m1,
          { ciphertext: Buffer.from('edited'), iv: Buffer.alloc(12, 7), authTag: Buffer.alloc(16, 8), keyVersion: 3 },
          editedAt,
        ),
      );
      expect(edited).toMatchObject({
        id: m1,
        ciphertext: Buffer.from('edited'),
        iv: Buffer.alloc(12, 7),
        authTag: Buffer.alloc(16, 8),
        keyVersion: 3,
        editedAt,
      });

      const batchId = randomUUID();
      await db.dataSource.transaction(async (manager) => {
        await messages.setBatch(manager, m2, batchId);
        await messages.markDeleted(manager, m2);
      });

      const loaded = await messages.loadMany([m1, m2, randomUUID()]);
      expect([...loaded.keys()].sort()).toEqual(sorted([m1, m2]));
      expect(loaded.get(m1)).toMatchObject({ conversationId: pair, senderId: ann, keyVersion: 3, editedAt, deletedAt: null, status: 'queued', batchId: null });
      expect(typeof loaded.get(m1)?.seq).toBe('number');
      expect(loaded.get(m2)).toMatchObject({ status: 'deleted', batchId });
      expect(loaded.get(m2)?.deletedAt).toBeInstanceOf(Date);
      expect(await messages.loadMany([])).toEqual(new Map());

      // Inside a transaction: its own uncommitted changes.
      await expect(
        db.dataSource.transaction(async (manager) => {
          await manager.query(`UPDATE messages SET key_version = 9 WHERE id = $1`, [m1]);
          expect((await messages.loadMany([m1], manager)).get(m1)?.keyVersion).toBe(9);
          expect((await messages.loadMany([m1])).get(m1)?.keyVersion).toBe(3);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
    });
  });
});
