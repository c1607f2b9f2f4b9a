import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { DeadLetterRepository, NewDeadLetter } from './dead-letter.repository';
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

  it('finds, marks replayed and deletes one', async () => {
    const [newest] = (await deadLetters.page({ limit: 1 })).items;
    const id = newest?.id ?? '';
    await deadLetters.markReplayed(id, 'job-1:replay-1');
    const found = await deadLetters.find(id);
    expect(found?.replayJobId).toBe('job-1:replay-1');
    expect(found?.replayedAt).toEqual(expect.any(String));
    expect(await deadLetters.delete(id)).toBe(true);
    expect(await deadLetters.delete(id)).toBe(false);
    expect(await deadLetters.find(id)).toBeUndefined();
  });
});
