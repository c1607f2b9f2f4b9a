import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { DEAD_LETTER_UNDO_MINUTES, DeadLetterRepository, NewDeadLetter } from './dead-letter.repository';
import { MAX_FAILURE_CHARS } from './delivery.repository';

const letter = (jobId: string, failedAt: Date, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  queue: 'message-delivery',
  jobId,
  jobName: 'send-message',
  data: { messageIds: ['0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10'] },
  failedReason: 'smtp said 550',
  stacktrace: 'Error: smtp said 550\n    at send',
  attemptsMade: 5,
  failedAt,
  ...overrides,
});

/** The list's item at `index`, failing the test when there is none. */
function at<T>(items: readonly T[], index = 0): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index} in a list of ${items.length}`);
  return item;
}

describe('DeadLetterRepository', () => {
  let db: RepositoryTestDatabase;
  let deadLetters: DeadLetterRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('dead-letter-repository-spec');
    deadLetters = new DeadLetterRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('keeps one row per failure of a job, however often it is reported', async () => {
    const at = new Date('2026-12-01T10:00:00.123Z');
    expect(await deadLetters.record(letter('job-1', at))).toBe(true);
    expect(await deadLetters.record(letter('job-1', at))).toBe(false);
    // The same job failing for good again later (after a replay) is a new dead letter.
    expect(await deadLetters.record(letter('job-1', new Date('2026-12-01T11:00:00Z')))).toBe(true);
    const page = (await deadLetters.page({ limit: 10 })).items;
    expect(page.map((l) => [l.jobId, l.failedAt])).toEqual([
      ['job-1', '2026-12-01T11:00:00.000Z'],
      ['job-1', '2026-12-01T10:00:00.123Z'],
    ]);
    expect(page[1]).toMatchObject({
      queue: 'message-delivery',
      jobName: 'send-message',
      data: letter('x', at).data,
      attemptsMade: 5,
      replayedAt: null,
      replayJobId: null,
    });
  });

  it('cuts reasons and traces to a readable size', async () => {
    const long = 'x'.repeat(MAX_FAILURE_CHARS + 100);
    await deadLetters.record(letter('job-long', new Date('2026-11-01T00:00:00Z'), { failedReason: long, stacktrace: long }));
    const [stored] = (await deadLetters.page({ limit: 10 })).items.filter((l) => l.jobId === 'job-long');
    expect(stored?.failedReason).toHaveLength(MAX_FAILURE_CHARS);
    expect(stored?.stacktrace).toHaveLength(MAX_FAILURE_CHARS);
  });

  it('pages newest first after the previous page’s last row, to the microsecond', async () => {
    // Two failures within one millisecond: a cursor cut to milliseconds would skip the second.
    await deadLetters.record(letter('job-us-1', new Date('2026-10-01T00:00:00.000Z')));
    await deadLetters.record(letter('job-us-2', new Date('2026-10-01T00:00:00.000Z')));
    await db.dataSource.query(`UPDATE dead_letters SET failed_at = failed_at + interval '700 microseconds' WHERE job_id = 'job-us-1'`);
    await db.dataSource.query(`UPDATE dead_letters SET failed_at = failed_at + interval '300 microseconds' WHERE job_id = 'job-us-2'`);
    const all = await deadLetters.page({ limit: 10 });
    expect(all.items.map((l) => l.jobId)).toEqual(['job-1', 'job-1', 'job-long', 'job-us-1', 'job-us-2']);
    expect(all.next).toBeNull();
    const seen = [];
    let after;
    do {
      const page = await deadLetters.page({ limit: 2, after });
      seen.push(...page.items);
      after = page.next ?? undefined;
    } while (after);
    expect(seen).toEqual(all.items);
  });

  it('finds, marks replayed and discards one, which an undo brings back', async () => {
    const [newest] = (await deadLetters.page({ limit: 1 })).items;
    const id = newest?.id ?? '';
    await deadLetters.markReplayed(id, 'job-1:replay-1');
    const found = await deadLetters.find(id);
    expect(found?.replayJobId).toBe('job-1:replay-1');
    expect(found?.replayedAt).toEqual(expect.any(String));
    const discard = await deadLetters.discard(id);
    if (!discard) throw new Error('nothing discarded');
    expect(discard).toMatchObject({ discarded: 1, discardId: expect.any(String) });
    expect(discard.undoUntil.getTime()).toBeGreaterThan(Date.now() + (DEAD_LETTER_UNDO_MINUTES * 60 - 30) * 1000);
    expect(await deadLetters.discard(id)).toBeUndefined();
    expect(await deadLetters.find(id)).toBeUndefined();
    expect((await deadLetters.page({ limit: 50 })).items.map((l) => l.id)).not.toContain(id);
    expect(await deadLetters.restore(discard.discardId)).toBe(1);
    expect(await deadLetters.restore(discard.discardId)).toBe(0);
    expect((await deadLetters.find(id))?.id).toBe(id);
  });

  describe('grouped by cause', () => {
    const participantGone = (jobId: string, recipient: string, line: number, at: string) =>
      letter(jobId, new Date(at), {
        failedReason: `Recipient ${recipient} is no longer a participant`,
        stacktrace: `Error: Recipient ${recipient} is no longer a participant\n    at DeliveryProcessor.deliver (/srv/dist/main.js:${line}:9)`,
      });

    beforeAll(async () => {
      await db.dataSource.query(`DELETE FROM dead_letters`);
      await deadLetters.record(participantGone('g-1', '7f1c2a9e-1b2c-4d5e-8f90-123456789abc', 10, '2026-12-02T10:00:00Z'));
      await deadLetters.record(participantGone('g-2', '11111111-1b2c-4d5e-8f90-123456789abc', 10, '2026-12-02T11:00:00Z'));
      await deadLetters.record(participantGone('g-3', '22222222-1b2c-4d5e-8f90-123456789abc', 99, '2026-12-02T12:00:00Z'));
      await deadLetters.record(letter('other-1', new Date('2026-12-02T09:00:00Z'), { failedReason: 'smtp said 550 for 3 recipients' }));
    });

    it('counts each cause once whatever its ids, with first and last seen and the latest letter', async () => {
      const groups = await deadLetters.groups(10);
      expect(groups.map((g) => [g.jobName, g.error, g.topFrame, g.count, g.pending, g.firstSeen, g.lastSeen, g.sample.jobId])).toEqual([
        [
          'send-message',
          'Recipient <id> is no longer a participant',
          'DeliveryProcessor.deliver (main.js)',
          3,
          3,
          '2026-12-02T10:00:00.000Z',
          '2026-12-02T12:00:00.000Z',
          'g-3',
        ],
        ['send-message', 'smtp said <n> for <n> recipients', 'send', 1, 1, '2026-12-02T09:00:00.000Z', '2026-12-02T09:00:00.000Z', 'other-1'],
      ]);
      expect((await deadLetters.page({ limit: 10, fingerprint: at(groups).fingerprint })).items.map((l) => l.jobId)).toEqual(['g-3', 'g-2', 'g-1']);
    });

    it('lists the pending letters of a group oldest first, and counts them', async () => {
      const gone = at(await deadLetters.groups(1));
      const pending = await deadLetters.pendingInGroup(gone.fingerprint, 2);
      expect(pending.map((l) => l.jobId)).toEqual(['g-1', 'g-2']);
      await deadLetters.markReplayed(at(pending).id, 'g-1:replay');
      expect(await deadLetters.countGroup(gone.fingerprint, true)).toBe(2);
      expect(await deadLetters.countGroup(gone.fingerprint, false)).toBe(3);
      expect((await deadLetters.pendingInGroup(gone.fingerprint, 10)).map((l) => l.jobId)).toEqual(['g-2', 'g-3']);
    });

    it('discards a whole group as one discard, and restores it within the undo window only', async () => {
      const groups = await deadLetters.groups(10);
      const [gone, other] = [at(groups, 0), at(groups, 1)];
      const discard = await deadLetters.discardGroup(gone.fingerprint);
      expect(discard.discarded).toBe(3);
      expect((await deadLetters.groups(10)).map((g) => g.fingerprint)).toEqual([other.fingerprint]);
      expect(await deadLetters.countGroup(gone.fingerprint, false)).toBe(0);

      await db.dataSource.query(`UPDATE dead_letters SET discarded_at = now() - make_interval(mins => $1 + 1) WHERE job_id = 'g-1'`, [
        DEAD_LETTER_UNDO_MINUTES,
      ]);
      expect(await deadLetters.restore(discard.discardId)).toBe(2);
      expect((await deadLetters.groups(10)).find((g) => g.fingerprint === gone.fingerprint)?.count).toBe(2);
    });
  });
});
