import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { JobEventRecord, JobEventRepository } from './job-event.repository';

const event = (jobId: string, kind: JobEventRecord['kind'], at: string, overrides: Partial<JobEventRecord> = {}): JobEventRecord => ({
  queue: 'message-delivery',
  jobId,
  jobName: 'send-message',
  kind,
  attempt: 1,
  messageId: null,
  userId: null,
  error: null,
  durationMs: 3,
  at: new Date(at),
  worker: 'host-a:101',
  stack: null,
  ...overrides,
});

describe('JobEventRepository', () => {
  let db: RepositoryTestDatabase;
  let jobEvents: JobEventRepository;
  const messageId = randomUUID();
  const userId = randomUUID();

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('job-event-repository-spec');
    jobEvents = new JobEventRepository(db.dataSource);
    await jobEvents.record([
      event('send:a', 'attempt-failed', '2026-12-01T10:00:00Z', { messageId, error: 'Redis connection lost', stack: 'Error: Redis connection lost\n    at x' }),
      event('send:a', 'completed', '2026-12-01T10:00:05Z', { messageId, attempt: 2, worker: 'host-b:202' }),
      event('send:a:retry-1', 'failed', '2026-12-01T10:01:00Z', { messageId, error: 'still lost' }),
      event('notify:b', 'completed', '2026-12-01T10:02:00Z', { queue: 'notifications', jobName: 'send-notification', userId }),
    ]);
    await jobEvents.record([]);
  });
  afterAll(() => db?.close());

  it('finds a job by its id, with its retries and replays, showing each job’s latest event', async () => {
    const found = await jobEvents.search('send:a');
    expect(found.map((m) => [m.jobId, m.kind])).toEqual([
      ['send:a:retry-1', 'failed'],
      ['send:a', 'completed'],
    ]);
    expect(found[1]).toEqual({
      queue: 'message-delivery',
      jobId: 'send:a',
      jobName: 'send-message',
      kind: 'completed',
      messageId,
      userId: null,
      error: null,
      at: new Date('2026-12-01T10:00:05Z'),
    });
  });

  it("gives a job's history oldest first: each attempt's worker, duration, error and stack", async () => {
    expect(await jobEvents.history('send:a', 10)).toEqual([
      {
        jobId: 'send:a',
        kind: 'attempt-failed',
        attempt: 1,
        error: 'Redis connection lost',
        durationMs: 3,
        at: new Date('2026-12-01T10:00:00Z'),
        worker: 'host-a:101',
        stack: 'Error: Redis connection lost\n    at x',
      },
      { jobId: 'send:a', kind: 'completed', attempt: 2, error: null, durationMs: 3, at: new Date('2026-12-01T10:00:05Z'), worker: 'host-b:202', stack: null },
    ]);
    expect(await jobEvents.history('send:a', 1)).toHaveLength(1);
    expect(await jobEvents.history('send', 10)).toEqual([]);
  });

  it('finds jobs by message id, user id and error text', async () => {
    expect((await jobEvents.search(messageId)).map((m) => m.jobId)).toEqual(['send:a:retry-1', 'send:a']);
    expect((await jobEvents.search(userId)).map((m) => m.jobId)).toEqual(['notify:b']);
    expect((await jobEvents.search('still LOST')).map((m) => m.jobId)).toEqual(['send:a:retry-1']);
    expect(await jobEvents.search('nothing like this')).toEqual([]);
  });

  it('finds a batch job by a message it delivered', async () => {
    const [sender, bob] = [await seedUser(db.dataSource), await seedUser(db.dataSource)];
    const message = await seedMessage(db.dataSource, await seedConversation(db.dataSource, [sender as string, bob as string]), sender as string, [
      bob as string,
    ]);
    await db.dataSource.query(`UPDATE message_deliveries SET job_id = 'batch:7' WHERE message_id = $1`, [message]);
    await jobEvents.record([event('batch:7', 'completed', '2026-12-01T11:00:00Z', { queue: 'batch-message-sending', jobName: 'batch-send' })]);
    expect((await jobEvents.search(message)).map((m) => m.jobId)).toEqual(['batch:7']);
  });
});
