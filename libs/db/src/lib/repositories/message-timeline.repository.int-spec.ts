import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { DeadLetterRepository } from './dead-letter.repository';
import { JobEventRepository } from './job-event.repository';
import { MessageTimelineRepository } from './message-timeline.repository';

describe('MessageTimelineRepository', () => {
  let db: RepositoryTestDatabase;
  let timelines: MessageTimelineRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('message-timeline-repository-spec');
    timelines = new MessageTimelineRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('has no history for a message that does not exist', async () => {
    expect(await timelines.history(randomUUID())).toBeUndefined();
  });

  it('gathers what every table holds about one message, and nothing about another', async () => {
    const [sender, bob] = [await seedUser(db.dataSource, 'Sender'), await seedUser(db.dataSource, 'Bob')];
    const conversation = await seedConversation(db.dataSource, [sender, bob]);
    const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
    const other = await seedMessage(db.dataSource, conversation, sender, [bob]);
    const at = new Date('2026-12-01T10:00:00Z');

    // Published in a batch of two: the job names neither message in job_events.
    await db.dataSource.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, priority, published_at) VALUES ('message-delivery', 'send-message', 'send:ab', $1, 1, $2)`,
      [JSON.stringify({ messageIds: [message, other] }), at],
    );
    await new JobEventRepository(db.dataSource).record([
      {
        queue: 'message-delivery',
        jobId: 'send:ab',
        jobName: 'send-message',
        kind: 'completed',
        attempt: 1,
        messageId: null,
        userId: null,
        error: null,
        durationMs: 4,
        at,
        worker: 'host:1',
        stack: null,
      },
      {
        queue: 'message-delivery',
        jobId: 'confirm:x',
        jobName: 'delivery-confirmation',
        kind: 'completed',
        attempt: 1,
        messageId: message,
        userId: bob,
        error: null,
        durationMs: 1,
        at,
        worker: 'host:1',
        stack: null,
      },
      {
        queue: 'message-delivery',
        jobId: 'confirm:y',
        jobName: 'delivery-confirmation',
        kind: 'completed',
        attempt: 1,
        messageId: other,
        userId: bob,
        error: null,
        durationMs: 1,
        at,
        worker: 'host:1',
        stack: null,
      },
    ]);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read', sent_at = $2, delivered_at = $2, read_at = $2 WHERE message_id = $1`, [
      message,
      at,
    ]);
    await db.dataSource.query(
      `INSERT INTO notifications (user_id, message_id, channel, status, title, body, dedupe_key) VALUES ($1, $2, 'email', 'skipped', 'New message', 'from Sender', 'n1')`,
      [bob, message],
    );
    await new DeadLetterRepository(db.dataSource).record({
      queue: 'message-delivery',
      jobId: 'confirm:z',
      jobName: 'delivery-confirmation',
      data: { receipts: [{ messageId: message, recipientId: bob, status: 'read', at: at.toISOString() }] },
      failedReason: 'boom',
      stacktrace: null,
      attemptsMade: 5,
      failedAt: at,
    });

    const history = await timelines.history(message);
    expect(history?.message).toEqual({ createdAt: expect.any(Date), priority: 'normal', sendAt: null, deletedAt: null });
    expect(history?.published).toEqual([{ jobId: 'send:ab', queue: 'message-delivery', publishedAt: at, traceparent: null }]);
    expect(history?.receiptTraces).toEqual([]);
    expect(history?.jobEvents.map((e) => e.jobId).sort()).toEqual(['confirm:x', 'send:ab']);
    expect(history?.jobEvents.find((e) => e.jobId === 'send:ab')).toEqual({
      jobId: 'send:ab',
      jobName: 'send-message',
      kind: 'completed',
      attempt: 1,
      error: null,
      durationMs: 4,
      at,
    });
    expect(history?.deliveries).toEqual([{ recipientId: bob, sentAt: at, deliveredAt: at, readAt: at, failedAt: null, failureReason: null }]);
    expect(history?.notifications).toEqual([
      {
        id: expect.any(String),
        userId: bob,
        channel: 'email',
        status: 'skipped',
        error: null,
        createdAt: expect.any(Date),
        sentAt: null,
        providerStatus: null,
        providerDetail: null,
        providerStatusAt: null,
        fallbackOf: null,
      },
    ]);
    expect(history?.deadLetters).toEqual([{ jobId: 'confirm:z', failedReason: 'boom', failedAt: at, replayedAt: null }]);

    const otherHistory = await timelines.history(other);
    expect(otherHistory?.jobEvents.map((e) => e.jobId).sort()).toEqual(['confirm:y', 'send:ab']);
    expect(otherHistory?.notifications).toEqual([]);
    expect(otherHistory?.deadLetters).toEqual([]);
  });

  it("finds the message's trace context in each traced job that carried it", async () => {
    const [sender, bob, carol] = [await seedUser(db.dataSource, 'Sender 2'), await seedUser(db.dataSource, 'Bob 2'), await seedUser(db.dataSource, 'Carol')];
    const conversation = await seedConversation(db.dataSource, [sender, bob, carol]);
    const [first, second] = [
      await seedMessage(db.dataSource, conversation, sender, [bob, carol]),
      await seedMessage(db.dataSource, conversation, sender, [bob]),
    ];
    const tp = (n: number) => `00-${String(n).repeat(32)}-${'ab'.repeat(8)}-01`;
    const at = new Date('2026-12-02T10:00:00Z');
    await db.dataSource.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, priority, published_at) VALUES
         ('message-delivery', 'send-message', 'send:traced', $1, 1, $3), ('message-delivery', 'delivery-confirmation', 'confirm:traced', $2, 1, $3)`,
      [
        JSON.stringify({ messageIds: [second, first], traceparents: ['', tp(1)] }),
        JSON.stringify({
          receipts: [
            { messageId: first, recipientId: bob, status: 'delivered', at: at.toISOString(), traceparent: tp(2) },
            { messageId: first, recipientId: carol, status: 'read', at: at.toISOString() },
            { messageId: second, recipientId: bob, status: 'read', at: at.toISOString(), traceparent: tp(3) },
          ],
        }),
        at,
      ],
    );

    const history = await timelines.history(first);
    expect(history?.published.map((p) => [p.jobId, p.traceparent]).sort()).toEqual([
      ['confirm:traced', tp(2)],
      ['send:traced', tp(1)],
    ]);
    expect(history?.receiptTraces).toEqual([{ recipientId: bob, status: 'delivered', traceparent: tp(2) }]);
    const untraced = await timelines.history(second);
    expect(untraced?.published.map((p) => [p.jobId, p.traceparent]).sort()).toEqual([
      ['confirm:traced', tp(3)],
      ['send:traced', null],
    ]);
  });
});
