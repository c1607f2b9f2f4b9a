import { randomUUID } from 'node:crypto';
import { eventually, openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { DeliverySendRepository } from './delivery-send.repository';
import { OutboxJob, OutboxRepository, OutboxRow } from './outbox.repository';

describe('OutboxRepository', () => {
  let db: RepositoryTestDatabase;
  let outbox: OutboxRepository;
  let sender: string;
  let bob: string;
  let conversation: string;

  const job = (jobId: string, overrides: Partial<OutboxJob> = {}): OutboxJob => ({
    queue: 'message-delivery',
    jobName: 'send-message',
    jobId,
    payload: { messageIds: [randomUUID()] },
    priority: 2,
    availableAt: new Date('2030-01-02T03:04:05.678Z'),
    ...overrides,
  });

  interface StoredRow {
    id: string;
    queue: string;
    job_name: string;
    job_id: string;
    payload: Record<string, unknown>;
    priority: number;
    available_at: Date;
    published_at: Date | null;
    finished_at: Date | null;
    attempts: number;
    last_error: string | null;
  }
  const rowOf = async (jobId: string): Promise<StoredRow | undefined> =>
    ((await db.dataSource.query(`SELECT * FROM outbox WHERE job_id = $1`, [jobId])) as StoredRow[])[0];

  /** A row written directly, its times given as intervals before now (null: not set). */
  const addRow = async (
    jobId: string,
    options: { jobName?: string; payload?: object; createdAgo?: string; publishedAgo?: string | null; finished?: boolean } = {},
  ): Promise<string> => {
    const [row] = (await db.dataSource.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, priority, created_at, published_at, finished_at)
       VALUES ('message-delivery', $1, $2, $3, 2, now() - $4::interval, now() - $5::interval, CASE WHEN $6::boolean THEN now() END) RETURNING id`,
      [
        options.jobName ?? 'send-message',
        jobId,
        JSON.stringify(options.payload ?? { messageIds: [] }),
        options.createdAgo ?? '0 seconds',
        options.publishedAgo ?? null,
        options.finished ?? false,
      ],
    )) as { id: string }[];
    return (row as { id: string }).id;
  };

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('outbox-repository-spec');
    outbox = new OutboxRepository(db.dataSource);
    [sender, bob] = [await seedUser(db.dataSource, 'Sender'), await seedUser(db.dataSource, 'Bob')];
    conversation = await seedConversation(db.dataSource, [sender, bob]);
  });
  beforeEach(() => db.dataSource.query(`DELETE FROM outbox`));
  afterAll(() => db?.close());

  describe('stage', () => {
    it('writes the jobs in the caller’s transaction and answers each one’s outbox id by job id', async () => {
      const [first, second] = [job(`a-${randomUUID()}`), job(`b-${randomUUID()}`, { jobName: 'index-message', queue: 'message-indexing', priority: 5 })];
      const staged = await db.dataSource.transaction(async (manager) => {
        const ids = await outbox.stage(manager, [first, second]);
        // Not visible outside the transaction before it commits.
        expect(await rowOf(first.jobId)).toBeUndefined();
        return ids;
      });
      expect([...staged.keys()].sort()).toEqual([first.jobId, second.jobId].sort());
      const row = await rowOf(second.jobId);
      expect(row).toMatchObject({
        id: staged.get(second.jobId),
        queue: 'message-indexing',
        job_name: 'index-message',
        payload: second.payload,
        priority: 5,
        published_at: null,
        finished_at: null,
        attempts: 0,
        last_error: null,
      });
      expect(row?.available_at.toISOString()).toBe('2030-01-02T03:04:05.678Z');
      expect((await rowOf(first.jobId))?.id).toBe(staged.get(first.jobId));
    });

    it('keeps the first row of a job id staged twice and leaves it out of the answer', async () => {
      const jobId = `twice-${randomUUID()}`;
      const firstIds = await db.dataSource.transaction((manager) => outbox.stage(manager, [job(jobId, { payload: { n: 1 } })]));
      const fresh = job(`fresh-${randomUUID()}`);
      const again = await db.dataSource.transaction((manager) => outbox.stage(manager, [job(jobId, { payload: { n: 2 } }), fresh]));
      expect([...again.keys()]).toEqual([fresh.jobId]);
      const row = await rowOf(jobId);
      expect(row).toMatchObject({ id: firstIds.get(jobId), payload: { n: 1 } });
      expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM outbox WHERE job_id = $1`, [jobId]))[0].n)).toBe(1);
    });

    it('runs the statements alongside in the same statement, and a rollback takes back both', async () => {
      const sends = new DeliverySendRepository();
      const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
      const statements = [
        sends.messageStatusesStatement([{ messageId: message, status: 'sent' }]),
        sends.reassignStatement([{ messageId: message, recipientId: bob, jobId: 'other-job' }]),
      ];
      const state = async (): Promise<{ status: string; job_id: string | null }> =>
        (
          (await db.dataSource.query(`SELECT m.status, d.job_id FROM messages m JOIN message_deliveries d ON d.message_id = m.id WHERE m.id = $1`, [
            message,
          ])) as { status: string; job_id: string | null }[]
        )[0] as { status: string; job_id: string | null };

      const rolledBack = job(`rolled-back-${randomUUID()}`);
      await expect(
        db.dataSource.transaction(async (manager) => {
          const ids = await outbox.stage(manager, [rolledBack], statements);
          expect(ids.has(rolledBack.jobId)).toBe(true);
          throw new Error('the caller fails after staging');
        }),
      ).rejects.toThrow('the caller fails after staging');
      expect(await rowOf(rolledBack.jobId)).toBeUndefined();
      expect(await state()).toEqual({ status: 'queued', job_id: null });

      const committed = job(`committed-${randomUUID()}`, { payload: { messageIds: [message] } });
      const ids = await db.dataSource.transaction((manager) => outbox.stage(manager, [committed], statements));
      expect(ids.get(committed.jobId)).toBe((await rowOf(committed.jobId))?.id);
      expect((await rowOf(committed.jobId))?.payload).toEqual({ messageIds: [message] });
      expect(await state()).toEqual({ status: 'sent', job_id: 'other-job' });
    });

    it('stages in job id order, so two transactions staging the same ids wait in line instead of deadlocking', async () => {
      // Ids that sort a < b whatever the uuid.
      const [a, b] = [`order-a-${randomUUID()}`, `order-b-${randomUUID()}`];
      const first = db.dataSource.createQueryRunner();
      const second = db.dataSource.createQueryRunner();
      try {
        await first.startTransaction();
        await outbox.stage(first.manager, [job(a)]);
        await second.startTransaction();
        const [{ pid }] = (await second.query('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
        // Given b before a, it still inserts a first, and waits there for the first transaction.
        const secondStaged = outbox.stage(second.manager, [job(b), job(a)]);
        await eventually(async () => {
          const rows = await db.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid]);
          return rows.length > 0 ? true : undefined;
        }, 'the second transaction to wait on the first one’s lock');
        // So b is free: in input order the second would hold b and wait for a, and this would deadlock.
        expect([...(await outbox.stage(first.manager, [job(b)])).keys()]).toEqual([b]);
        await first.commitTransaction();
        expect(await secondStaged).toEqual(new Map());
        await second.commitTransaction();
      } finally {
        for (const runner of [first, second]) {
          if (runner.isTransactionActive) await runner.rollbackTransaction();
          await runner.release();
        }
      }
    });

    it('runs statements alone when there is no job, and does nothing with neither', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
      const statement = new DeliverySendRepository().messageStatusesStatement([{ messageId: message, status: 'failed' }]);
      expect(await db.dataSource.transaction((manager) => outbox.stage(manager, [], [statement]))).toEqual(new Map());
      expect((await db.dataSource.query(`SELECT status FROM messages WHERE id = $1`, [message]))[0].status).toBe('failed');
      expect(await db.dataSource.transaction((manager) => outbox.stage(manager, []))).toEqual(new Map());
      expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM outbox`))[0].n)).toBe(0);
    });
  });

  it('marks rows published, leaving a row already marked as it was', async () => {
    const a = await addRow('publish-a');
    const b = await addRow('publish-b', { publishedAgo: '1 hour' });
    const before = (await rowOf('publish-b'))?.published_at;
    await outbox.markPublished([a, b]);
    expect((await rowOf('publish-a'))?.published_at).toBeInstanceOf(Date);
    expect((await rowOf('publish-b'))?.published_at).toEqual(before);
    await outbox.markPublished([]);
  });

  describe('relayUnpublished', () => {
    it('hands over only unpublished rows older than the grace, marks the published ones and counts the failures', async () => {
      await addRow('relay-young');
      const old1 = await addRow('relay-old-1', { createdAgo: '1 minute', payload: { messageIds: ['x'] } });
      const old2 = await addRow('relay-old-2', { createdAgo: '2 minutes' });
      await addRow('relay-published', { createdAgo: '1 minute', publishedAgo: '30 seconds' });

      let seen: readonly OutboxRow[] = [];
      const longError = 'e'.repeat(600);
      const outcome = await outbox.relayUnpublished(30_000, 10, async (rows) => {
        seen = rows;
        return { published: [old1], failed: [{ id: old2, error: longError }] };
      });
      expect(outcome).toEqual({ published: [old1], failed: [{ id: old2, error: longError }] });
      expect(seen.map((r) => r.id)).toEqual([old1, old2]);
      expect(seen[0]).toMatchObject({ id: old1, jobId: 'relay-old-1', jobName: 'send-message', payload: { messageIds: ['x'] }, priority: 2 });
      expect(seen[0]?.availableAt).toBeInstanceOf(Date);

      expect((await rowOf('relay-old-1'))?.published_at).toBeInstanceOf(Date);
      const failed = await rowOf('relay-old-2');
      expect(failed).toMatchObject({ published_at: null, attempts: 1 });
      expect(failed?.last_error).toBe('e'.repeat(500));
      expect((await rowOf('relay-young'))?.published_at).toBeNull();

      // The next turn gets the failed row again, and counts its second failure.
      const next = await outbox.relayUnpublished(30_000, 10, async (rows) => {
        expect(rows.map((r) => r.id)).toEqual([old2]);
        return { published: [], failed: [{ id: old2, error: 'again' }] };
      });
      expect(next.failed).toHaveLength(1);
      expect(await rowOf('relay-old-2')).toMatchObject({ attempts: 2, last_error: 'again' });
    });

    it('respects the limit, in id order', async () => {
      const ids = [
        await addRow('limit-1', { createdAgo: '1 minute' }),
        await addRow('limit-2', { createdAgo: '1 minute' }),
        await addRow('limit-3', { createdAgo: '1 minute' }),
      ];
      let seen: string[] = [];
      await outbox.relayUnpublished(0, 2, async (rows) => {
        seen = rows.map((r) => r.id);
        return { published: seen, failed: [] };
      });
      expect(seen).toEqual(ids.slice(0, 2));
    });

    it('locks the rows it hands over: a concurrent relay skips them while the first holds them', async () => {
      const ids = [
        await addRow('lock-1', { createdAgo: '1 minute' }),
        await addRow('lock-2', { createdAgo: '1 minute' }),
        await addRow('lock-3', { createdAgo: '1 minute' }),
      ];
      let firstRows: string[] = [];
      let secondRows: string[] = [];
      await outbox.relayUnpublished(0, 2, async (rows) => {
        firstRows = rows.map((r) => r.id);
        // Another relay, on another connection, while this transaction still holds its rows.
        await outbox.relayUnpublished(0, 10, async (others) => {
          secondRows = others.map((r) => r.id);
          return { published: [], failed: [] };
        });
        return { published: firstRows, failed: [] };
      });
      expect(firstRows).toEqual(ids.slice(0, 2));
      expect(secondRows).toEqual(ids.slice(2));
      // Once the first committed, its rows are published; the one the second left stays unpublished.
      let after: string[] = [];
      await outbox.relayUnpublished(0, 10, async (rows) => {
        after = rows.map((r) => r.id);
        return { published: [], failed: [] };
      });
      expect(after).toEqual(ids.slice(2));
    });
  });

  it('marks unpublished again the recently published rows whose jobs did not end', async () => {
    await addRow('rp-no-events', { publishedAgo: '1 second' });
    await addRow('rp-completed', { publishedAgo: '1 second' });
    await addRow('rp-failed', { publishedAgo: '1 second' });
    await addRow('rp-attempt-failed', { publishedAgo: '1 second' });
    await addRow('rp-too-old', { publishedAgo: '2 hours' });
    await addRow('rp-finished', { publishedAgo: '1 second', finished: true });
    await addRow('rp-unpublished');
    await db.dataSource.query(
      `INSERT INTO job_events (queue, job_id, job_name, kind, attempt)
       VALUES ('message-delivery', 'rp-completed', 'send-message', 'completed', 1), ('message-delivery', 'rp-failed', 'send-message', 'failed', 3),
              ('message-delivery', 'rp-attempt-failed', 'send-message', 'attempt-failed', 1)`,
    );

    expect(await outbox.republishUnfinished(3_600_000)).toBe(2);
    const published = async (jobId: string): Promise<boolean> => (await rowOf(jobId))?.published_at !== null;
    expect(await published('rp-no-events')).toBe(false);
    expect(await published('rp-attempt-failed')).toBe(false);
    expect(await published('rp-completed')).toBe(true);
    expect(await published('rp-failed')).toBe(true);
    expect(await published('rp-too-old')).toBe(true);
    expect(await published('rp-finished')).toBe(true);
    expect(await published('rp-unpublished')).toBe(false);
    expect(await outbox.republishUnfinished(3_600_000)).toBe(0);
  });

  it('finds the job staged under an id', async () => {
    const staged = job(`find-${randomUUID()}`, { jobName: 'delivery-confirmation', priority: 1, payload: { receipts: [{ status: 'read' }] } });
    await db.dataSource.transaction((manager) => outbox.stage(manager, [staged]));
    expect(await outbox.findJob(staged.jobId)).toEqual({ jobName: 'delivery-confirmation', payload: { receipts: [{ status: 'read' }] }, priority: 1 });
    expect(await outbox.findJob('no-such-job')).toBeUndefined();
  });

  it('prunes old published rows, up to the limit, keeping send jobs not seen to end', async () => {
    await addRow('prune-index', { jobName: 'index-message', publishedAgo: '2 hours' });
    await addRow('prune-send-finished', { publishedAgo: '2 hours', finished: true });
    await addRow('prune-send-unfinished', { publishedAgo: '2 hours' });
    await addRow('prune-recent', { jobName: 'index-message', publishedAgo: '1 second' });
    await addRow('prune-unpublished', { jobName: 'index-message', createdAgo: '3 hours' });

    expect(await outbox.prunePublished(3_600_000, 1)).toBe(1);
    expect(await outbox.prunePublished(3_600_000, 10)).toBe(1);
    expect(await outbox.prunePublished(3_600_000, 10)).toBe(0);
    const left: { job_id: string }[] = await db.dataSource.query(`SELECT job_id FROM outbox ORDER BY job_id`);
    expect(left.map((r) => r.job_id)).toEqual(['prune-recent', 'prune-send-unfinished', 'prune-unpublished']);
  });

  it('locks the published send jobs not finished, after a cursor, and marks them finished', async () => {
    const [m1, m2] = [randomUUID(), randomUUID()];
    const s1 = await addRow('us-1', { publishedAgo: '10 minutes', payload: { messageIds: [m1, m2] } });
    const s2 = await addRow('us-2', { publishedAgo: '10 minutes', payload: { messageIds: [m2] } });
    await addRow('us-recent', { publishedAgo: '1 second' });
    await addRow('us-unpublished', { createdAgo: '1 hour' });
    await addRow('us-finished', { publishedAgo: '10 minutes', finished: true });
    await addRow('us-other-job', { jobName: 'index-message', publishedAgo: '10 minutes' });

    expect(await db.dataSource.transaction((manager) => outbox.lockUnfinishedSends(manager, '0', 60_000, 10))).toEqual([
      { id: s1, jobId: 'us-1', messageIds: [m1, m2] },
      { id: s2, jobId: 'us-2', messageIds: [m2] },
    ]);
    expect((await db.dataSource.transaction((manager) => outbox.lockUnfinishedSends(manager, s1, 60_000, 10))).map((r) => r.id)).toEqual([s2]);
    expect((await db.dataSource.transaction((manager) => outbox.lockUnfinishedSends(manager, '0', 60_000, 1))).map((r) => r.id)).toEqual([s1]);

    // A concurrent reconciler skips the rows this one holds.
    await db.dataSource.transaction(async (manager) => {
      expect((await outbox.lockUnfinishedSends(manager, '0', 60_000, 1)).map((r) => r.id)).toEqual([s1]);
      const other = await db.dataSource.transaction((otherManager) => outbox.lockUnfinishedSends(otherManager, '0', 60_000, 10));
      expect(other.map((r) => r.id)).toEqual([s2]);
      await outbox.markFinished(manager, [s1]);
      await outbox.markFinished(manager, []);
    });
    expect((await rowOf('us-1'))?.finished_at).toBeInstanceOf(Date);
    expect((await rowOf('us-2'))?.finished_at).toBeNull();
    expect((await db.dataSource.transaction((manager) => outbox.lockUnfinishedSends(manager, '0', 60_000, 10))).map((r) => r.id)).toEqual([s2]);
  });
});
