import { randomUUID } from 'node:crypto';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { DeliverySendRepository, RECIPIENT_INACTIVE } from './delivery-send.repository';
import { OutboxRepository } from './outbox.repository';
import { SqlStatement } from '../sql-statement';

describe('DeliverySendRepository', () => {
  let db: RepositoryTestDatabase;
  let sends: DeliverySendRepository;
  let outbox: OutboxRepository;
  let sender: string;
  let bob: string;
  let carol: string;
  let dave: string;
  let erin: string;
  let frank: string;
  let gina: string;
  let conversation: string;

  interface DeliveryRow {
    recipient_id: string;
    status: string;
    attempts: number;
    failure_reason: string | null;
    job_id: string | null;
    sent_at: Date | null;
    failed_at: Date | null;
  }
  const deliveries = async (messageId: string): Promise<Map<string, DeliveryRow>> => {
    const rows: DeliveryRow[] = await db.dataSource.query(
      `SELECT recipient_id, status, attempts, failure_reason, job_id, sent_at, failed_at FROM message_deliveries WHERE message_id = $1`,
      [messageId],
    );
    return new Map(rows.map((row) => [row.recipient_id, row]));
  };
  const setDelivery = (messageId: string, recipientId: string, status: string): Promise<unknown> =>
    db.dataSource.query(`UPDATE message_deliveries SET status = $3 WHERE message_id = $1 AND recipient_id = $2`, [messageId, recipientId, status]);
  const messageRow = async (id: string): Promise<{ status: string; xmin: string }> =>
    ((await db.dataSource.query(`SELECT status, xmin::text AS xmin FROM messages WHERE id = $1`, [id])) as { status: string; xmin: string }[])[0] as {
      status: string;
      xmin: string;
    };
  const run = (statements: SqlStatement[]): Promise<Map<string, string>> => db.dataSource.transaction((manager) => outbox.stage(manager, [], statements));

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('delivery-send-repository-spec');
    sends = new DeliverySendRepository();
    outbox = new OutboxRepository(db.dataSource);
    [sender, bob, carol, dave, erin, frank, gina] = [
      await seedUser(db.dataSource, 'Sender'),
      await seedUser(db.dataSource, 'Bob'),
      await seedUser(db.dataSource, 'Carol'),
      await seedUser(db.dataSource, 'Dave'),
      await seedUser(db.dataSource, 'Erin'),
      await seedUser(db.dataSource, 'Frank'),
      await seedUser(db.dataSource, 'Gina'),
    ];
    conversation = await seedConversation(db.dataSource, [sender, bob, carol, dave, erin, frank]);
  });
  afterAll(() => db?.close());

  describe('claim', () => {
    it('answers the messages with their deliveries still to send, and what decides whether each can go', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol, dave, erin, frank, gina]);
      const settled = await seedMessage(db.dataSource, conversation, sender, [bob]);
      await setDelivery(message, carol, 'failed');
      await setDelivery(message, dave, 'sent');
      await setDelivery(message, erin, 'delivered');
      await setDelivery(settled, bob, 'read');
      await db.dataSource.query(`UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2`, [conversation, carol]);
      await db.dataSource.query(`UPDATE users SET active = false WHERE id = $1`, [frank]);
      const preferences: NotificationPreferences = {
        channels: { inApp: true, email: false, push: true, sms: false },
        quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/London' },
      };
      await db.dataSource.query(`INSERT INTO notification_preferences (user_id, channels, quiet_hours) VALUES ($1, $2, $3)`, [
        bob,
        JSON.stringify(preferences.channels),
        JSON.stringify(preferences.quietHours),
      ]);
      await db.dataSource.query(`INSERT INTO notification_preferences (user_id, channels) VALUES ($1, $2)`, [
        frank,
        JSON.stringify({ inApp: true, email: true, push: false, sms: false }),
      ]);

      const claimed = await db.dataSource.transaction((manager) => sends.claim(manager, [message, settled, randomUUID()]));
      expect([...claimed.messages.keys()].sort()).toEqual([message, settled].sort());
      expect(claimed.messages.get(message)).toMatchObject({ id: message, conversationId: conversation, senderId: sender, status: 'queued', sendAt: null });
      expect(typeof claimed.messages.get(message)?.seq).toBe('number');
      expect(claimed.messages.get(message)?.ciphertext).toEqual(Buffer.from([0]));

      const pending = [...claimed.pending].sort((a, b) => a.recipientId.localeCompare(b.recipientId));
      expect(pending).toEqual(
        [
          { messageId: message, recipientId: bob, member: true, active: true, preferences },
          // Left the conversation since.
          { messageId: message, recipientId: carol, member: false, active: true, preferences: null },
          {
            messageId: message,
            recipientId: frank,
            member: true,
            active: false,
            preferences: { channels: { inApp: true, email: true, push: false, sms: false }, quietHours: null },
          },
          // Never a participant.
          { messageId: message, recipientId: gina, member: false, active: true, preferences: null },
        ].sort((a, b) => a.recipientId.localeCompare(b.recipientId)),
      );
      await db.dataSource.query(`UPDATE users SET active = true WHERE id = $1`, [frank]);
      await db.dataSource.query(`UPDATE conversation_participants SET left_at = NULL WHERE conversation_id = $1 AND user_id = $2`, [conversation, carol]);
    });

    it('locks the messages it claims until the transaction ends', async () => {
      const [locked, free] = [await seedMessage(db.dataSource, conversation, sender, [bob]), await seedMessage(db.dataSource, conversation, sender, [bob])];
      await db.dataSource.transaction(async (manager) => {
        expect((await sends.claim(manager, [locked])).pending).toHaveLength(1);
        await expect(
          db.dataSource.transaction(async (other) => {
            await other.query(`SET LOCAL lock_timeout = '200ms'`);
            await sends.claim(other, [locked]);
          }),
        ).rejects.toThrow(/lock timeout/);
        const other = await db.dataSource.transaction(async (otherManager) => {
          await otherManager.query(`SET LOCAL lock_timeout = '200ms'`);
          return sends.claim(otherManager, [free]);
        });
        expect([...other.messages.keys()]).toEqual([free]);
      });
    });
  });

  it('sets messages’ statuses, not writing a status already there', async () => {
    const [a, b] = [await seedMessage(db.dataSource, conversation, sender, [bob]), await seedMessage(db.dataSource, conversation, sender, [bob])];
    const before = await messageRow(b);
    expect(
      await run([
        sends.messageStatusesStatement([
          { messageId: a, status: 'sent' },
          { messageId: b, status: 'queued' },
        ]),
      ]),
    ).toEqual(new Map());
    expect((await messageRow(a)).status).toBe('sent');
    // Untouched: the row version is the same.
    expect(await messageRow(b)).toEqual(before);
  });

  it('marks deliveries sent only from queued or failed', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol, dave]);
    await db.dataSource.query(`UPDATE message_deliveries SET failure_reason = 'earlier', attempts = 2 WHERE message_id = $1`, [message]);
    await setDelivery(message, carol, 'failed');
    await setDelivery(message, dave, 'delivered');
    await run([
      sends.markSentStatement([
        { messageId: message, recipientId: bob },
        { messageId: message, recipientId: carol },
        { messageId: message, recipientId: dave },
      ]),
    ]);
    const rows = await deliveries(message);
    expect(rows.get(bob)).toMatchObject({ status: 'sent', attempts: 3, failure_reason: null });
    expect(rows.get(bob)?.sent_at).toBeInstanceOf(Date);
    expect(rows.get(carol)).toMatchObject({ status: 'sent', attempts: 3, failure_reason: null });
    // A receipt moved it on already: never back.
    expect(rows.get(dave)).toMatchObject({ status: 'delivered', attempts: 2, failure_reason: 'earlier', sent_at: null });
  });

  it('records a failed attempt, and on the last one fails the deliveries', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol, dave]);
    await run([
      sends.markAttemptFailedStatement(
        [
          { messageId: message, recipientId: bob, reason: 'no push subscription' },
          { messageId: message, recipientId: carol, reason: 'smtp down' },
        ],
        false,
      ),
    ]);
    let rows = await deliveries(message);
    expect(rows.get(bob)).toMatchObject({ status: 'queued', attempts: 1, failure_reason: 'no push subscription', failed_at: null });
    expect(rows.get(carol)).toMatchObject({ status: 'queued', attempts: 1, failure_reason: 'smtp down', failed_at: null });
    expect(rows.get(dave)).toMatchObject({ status: 'queued', attempts: 0, failure_reason: null });

    await run([sends.markAttemptFailedStatement([{ messageId: message, recipientId: bob, reason: 'still no subscription' }], true)]);
    rows = await deliveries(message);
    expect(rows.get(bob)).toMatchObject({ status: 'failed', attempts: 2, failure_reason: 'still no subscription' });
    expect(rows.get(bob)?.failed_at).toBeInstanceOf(Date);
    expect(rows.get(carol)).toMatchObject({ status: 'queued', attempts: 1, failed_at: null });
  });

  it('never moves a failed attempt back over a receipt recorded since the claim', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'delivered' WHERE message_id = $1 AND recipient_id = $2`, [message, bob]);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'read' WHERE message_id = $1 AND recipient_id = $2`, [message, carol]);
    await run([
      sends.markAttemptFailedStatement(
        [
          { messageId: message, recipientId: bob, reason: 'x' },
          { messageId: message, recipientId: carol, reason: 'y' },
        ],
        true,
      ),
    ]);
    const rows = await deliveries(message);
    expect(rows.get(bob)).toMatchObject({ status: 'delivered', failure_reason: null });
    expect(rows.get(carol)).toMatchObject({ status: 'read', failure_reason: null });
  });

  it('hands deliveries to another job', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
    await run([sends.reassignStatement([{ messageId: message, recipientId: bob, jobId: 'retry-job-1' }])]);
    const rows = await deliveries(message);
    expect(rows.get(bob)?.job_id).toBe('retry-job-1');
    expect(rows.get(carol)?.job_id).toBeNull();
  });

  it('runs all of an attempt’s statements with its follow-up job in one statement', async () => {
    const [m1, m2] = [
      await seedMessage(db.dataSource, conversation, sender, [bob, carol, dave]),
      await seedMessage(db.dataSource, conversation, sender, [bob]),
    ];
    const jobId = `notify-${randomUUID()}`;
    const staged = await db.dataSource.transaction((manager) =>
      outbox.stage(
        manager,
        [{ queue: 'message-notification', jobName: 'send-notification', jobId, payload: { recipientId: bob }, priority: 3, availableAt: new Date() }],
        [
          sends.markSentStatement([
            { messageId: m1, recipientId: bob },
            { messageId: m2, recipientId: bob },
          ]),
          sends.markAttemptFailedStatement([{ messageId: m1, recipientId: carol, reason: 'inactive' }], true),
          sends.reassignStatement([{ messageId: m1, recipientId: dave, jobId: 'later' }]),
          sends.messageStatusesStatement([
            { messageId: m1, status: 'sent' },
            { messageId: m2, status: 'sent' },
          ]),
        ],
      ),
    );
    expect([...staged.keys()]).toEqual([jobId]);
    const rows = await deliveries(m1);
    expect(rows.get(bob)?.status).toBe('sent');
    expect(rows.get(carol)).toMatchObject({ status: 'failed', failure_reason: 'inactive' });
    expect(rows.get(dave)).toMatchObject({ status: 'queued', job_id: 'later' });
    expect((await deliveries(m2)).get(bob)?.status).toBe('sent');
    expect((await messageRow(m1)).status).toBe('sent');
    expect((await messageRow(m2)).status).toBe('sent');
  });

  it('inserts a fan-out chunk’s deliveries as sent, failed to an inactive account, answering only the recipients that had no row', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
    await setDelivery(message, bob, 'read');
    const inactive = await seedUser(db.dataSource, 'Inactive');
    await db.dataSource.query(`UPDATE users SET active = false WHERE id = $1`, [inactive]);
    const inserted = await db.dataSource.transaction((manager) => sends.insertChunk(manager, message, [bob, carol, dave, inactive], 'batch:chunk-1'));
    expect(inserted.failed).toBe(1);
    expect([...inserted.sent].sort()).toEqual([carol, dave].sort());
    const rows = await deliveries(message);
    expect(rows.get(bob)).toMatchObject({ status: 'read', attempts: 0, job_id: null });
    expect(rows.get(carol)).toMatchObject({ status: 'sent', attempts: 1, job_id: 'batch:chunk-1', failure_reason: null, failed_at: null });
    expect(rows.get(carol)?.sent_at).toBeInstanceOf(Date);
    expect(rows.get(inactive)).toMatchObject({ status: 'failed', attempts: 1, job_id: 'batch:chunk-1', failure_reason: RECIPIENT_INACTIVE, sent_at: null });
    expect(rows.get(inactive)?.failed_at).toBeInstanceOf(Date);
    expect(await db.dataSource.transaction((manager) => sends.insertChunk(manager, message, [carol, dave, inactive], 'batch:chunk-1'))).toEqual({
      sent: [],
      failed: 0,
    });
  });
});
