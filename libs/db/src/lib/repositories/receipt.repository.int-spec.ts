import { randomUUID } from 'node:crypto';
import type { Receipt } from '@mq/queue-contracts';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { MergedReceipt, ReceiptJobToStage, ReceiptRepository } from './receipt.repository';

describe('ReceiptRepository', () => {
  let db: RepositoryTestDatabase;
  let receipts: ReceiptRepository;
  let sender: string;
  let bob: string;
  let carol: string;
  let dave: string;
  let conversation: string;

  const job = (jobId = `receipts-${randomUUID()}`): ReceiptJobToStage => ({ queue: 'message-delivery', jobName: 'delivery-confirmation', jobId, priority: 1 });
  const receipt = (messageId: string, recipientId: string, status: Receipt['status'], at = '2030-01-01T10:00:00.000Z'): Receipt => ({
    messageId,
    recipientId,
    status,
    at,
  });
  const setStatus = (messageId: string, recipientId: string, status: string): Promise<unknown> =>
    db.dataSource.query(`UPDATE message_deliveries SET status = $3 WHERE message_id = $1 AND recipient_id = $2`, [messageId, recipientId, status]);
  const outboxRows = (jobId: string): Promise<{ id: string; job_name: string; queue: string; priority: number; payload: unknown }[]> =>
    db.dataSource.query(`SELECT id, job_name, queue, priority, payload FROM outbox WHERE job_id = $1`, [jobId]);

  interface DeliveryRow {
    status: string;
    sent_at: Date | null;
    delivered_at: Date | null;
    read_at: Date | null;
    failure_reason: string | null;
    failed_at: Date | null;
  }
  const delivery = async (messageId: string, recipientId: string): Promise<DeliveryRow> =>
    (
      (await db.dataSource.query(
        `SELECT status, sent_at, delivered_at, read_at, failure_reason, failed_at FROM message_deliveries WHERE message_id = $1 AND recipient_id = $2`,
        [messageId, recipientId],
      )) as DeliveryRow[]
    )[0] as DeliveryRow;
  const lastReadSeq = async (userId: string): Promise<number> =>
    Number(
      (
        (await db.dataSource.query(`SELECT last_read_seq FROM conversation_participants WHERE conversation_id = $1 AND user_id = $2`, [
          conversation,
          userId,
        ])) as {
          last_read_seq: string;
        }[]
      )[0]?.last_read_seq,
    );
  const seqOf = async (messageId: string): Promise<number> =>
    Number(((await db.dataSource.query(`SELECT seq FROM messages WHERE id = $1`, [messageId])) as { seq: string }[])[0]?.seq);
  const merged = (
    messageId: string,
    recipientId: string,
    status: MergedReceipt['status'],
    deliveredAt: string | null,
    readAt: string | null,
  ): MergedReceipt => ({
    messageId,
    recipientId,
    status,
    deliveredAt,
    readAt,
  });
  const byRecipient = <T extends { recipientId: string }>(rows: T[]): T[] => [...rows].sort((a, b) => a.recipientId.localeCompare(b.recipientId));

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('receipt-repository-spec');
    receipts = new ReceiptRepository(db.dataSource);
    [sender, bob, carol, dave] = [
      await seedUser(db.dataSource, 'Sender'),
      await seedUser(db.dataSource, 'Bob'),
      await seedUser(db.dataSource, 'Carol'),
      await seedUser(db.dataSource, 'Dave'),
    ];
    conversation = await seedConversation(db.dataSource, [sender, bob, carol]);
  });
  afterAll(() => db?.close());

  describe('stage', () => {
    it('tells which receipts are known and stages those that move a delivery forward, in input order', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
      const other = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
      await setStatus(other, carol, 'read');
      await setStatus(other, bob, 'sent');
      const input = [
        receipt(message, bob, 'delivered', '2030-01-01T10:00:00.000Z'),
        receipt(message, dave, 'delivered'), // Dave has no delivery of it.
        receipt(message, sender, 'read'), // Nor does its sender.
        receipt(randomUUID(), bob, 'read'), // No such message.
        receipt(other, carol, 'read'), // Already read: known, but nothing moves.
        // sent -> delivered; traced (its ack's trace context rides along).
        { ...receipt(other, bob, 'delivered', '2030-01-01T10:00:01.000Z'), traceparent: `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01` },
        receipt(message, carol, 'read', '2030-01-01T10:00:02.000Z'),
      ];
      const staging = job();
      const staged = await receipts.stage(input, staging);

      expect(staged.known).toEqual([true, false, false, false, true, true, true]);
      const expected = { receipts: [input[0], input[5], input[6]] };
      expect(staged.job?.payload).toEqual(expected);
      expect(staged.job?.availableAt).toBeInstanceOf(Date);
      const rows = await outboxRows(staging.jobId);
      expect(rows).toEqual([{ id: staged.job?.outboxId, job_name: 'delivery-confirmation', queue: 'message-delivery', priority: 1, payload: expected }]);
      // Staging records nothing yet.
      expect((await delivery(message, bob)).status).toBe('queued');
    });

    it('stages no row when no receipt moves a delivery forward', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
      await setStatus(message, bob, 'delivered');
      await setStatus(message, carol, 'read');
      const staging = job();
      const staged = await receipts.stage(
        [receipt(message, bob, 'delivered'), receipt(message, carol, 'delivered'), receipt(message, carol, 'read'), receipt(message, dave, 'read')],
        staging,
      );
      expect(staged).toEqual({ known: [true, true, true, false], job: undefined });
      expect(await outboxRows(staging.jobId)).toEqual([]);

      const unknownOnly = job();
      expect(await receipts.stage([receipt(randomUUID(), bob, 'read')], unknownOnly)).toEqual({ known: [false], job: undefined });
      expect(await outboxRows(unknownOnly.jobId)).toEqual([]);
    });

    it('writes no second row for a job id staged again', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
      const staging = job();
      const first = await receipts.stage([receipt(message, bob, 'delivered')], staging);
      expect(first.job).toBeDefined();
      const again = await receipts.stage([receipt(message, bob, 'read')], staging);
      expect(again).toEqual({ known: [true], job: undefined });
      const rows = await outboxRows(staging.jobId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: first.job?.outboxId, payload: { receipts: [receipt(message, bob, 'delivered')] } });
    });
  });

  describe('record', () => {
    const createdAt = async (messageId: string): Promise<Date> =>
      ((await db.dataSource.query(`SELECT created_at FROM messages WHERE id = $1`, [messageId])) as [{ created_at: Date }])[0].created_at;

    it('moves deliveries forward with their times, sets the reader’s read position and answers the ones moved', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
      await db.dataSource.query(`UPDATE message_deliveries SET status = 'sent', sent_at = '2030-01-01T09:00:00Z' WHERE message_id = $1 AND recipient_id = $2`, [
        message,
        carol,
      ]);
      const recorded = await receipts.record([
        merged(message, bob, 'delivered', '2030-01-01T10:00:00.000Z', null),
        merged(message, carol, 'read', '2030-01-01T10:00:01.000Z', '2030-01-01T10:00:02.000Z'),
      ]);
      expect(byRecipient(recorded)).toEqual(
        byRecipient([
          { messageId: message, recipientId: bob, senderId: sender, deliveredAt: new Date('2030-01-01T10:00:00.000Z'), dueAt: await createdAt(message) },
          { messageId: message, recipientId: carol, senderId: sender, deliveredAt: new Date('2030-01-01T10:00:01.000Z'), dueAt: await createdAt(message) },
        ]),
      );

      const bobRow = await delivery(message, bob);
      expect(bobRow.status).toBe('delivered');
      expect(bobRow.sent_at?.toISOString()).toBe('2030-01-01T10:00:00.000Z');
      expect(bobRow.delivered_at?.toISOString()).toBe('2030-01-01T10:00:00.000Z');
      expect(bobRow.read_at).toBeNull();
      const carolRow = await delivery(message, carol);
      expect(carolRow.status).toBe('read');
      expect(carolRow.sent_at?.toISOString()).toBe('2030-01-01T09:00:00.000Z');
      expect(carolRow.delivered_at?.toISOString()).toBe('2030-01-01T10:00:01.000Z');
      expect(carolRow.read_at?.toISOString()).toBe('2030-01-01T10:00:02.000Z');

      // Only the reader's position moves.
      expect(await lastReadSeq(carol)).toBe(await seqOf(message));
      expect(await lastReadSeq(bob)).toBe(0);
      expect(await lastReadSeq(sender)).toBe(0);
    });

    it('never moves a delivery back, and a second run answers nothing', async () => {
      const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
      const read = [merged(message, bob, 'read', null, '2030-01-01T11:00:00.000Z')];
      // Scheduled for later than it was written: it was due then.
      await db.dataSource.query(`UPDATE messages SET send_at = created_at + interval '1 hour' WHERE id = $1`, [message]);
      const [{ due }] = (await db.dataSource.query(`SELECT send_at AS due FROM messages WHERE id = $1`, [message])) as [{ due: Date }];
      expect(await receipts.record(read)).toEqual([
        { messageId: message, recipientId: bob, senderId: sender, deliveredAt: new Date('2030-01-01T11:00:00.000Z'), dueAt: due },
      ]);
      expect(await receipts.record(read)).toEqual([]);
      expect(await receipts.record([merged(message, bob, 'delivered', '2030-01-01T12:00:00.000Z', null)])).toEqual([]);
      const row = await delivery(message, bob);
      expect(row.status).toBe('read');
      // A read without a delivered time takes the read time for both.
      expect(row.delivered_at?.toISOString()).toBe('2030-01-01T11:00:00.000Z');
      expect(row.read_at?.toISOString()).toBe('2030-01-01T11:00:00.000Z');
      expect(await receipts.record([])).toEqual([]);
    });

    it('keeps the furthest read position when an older message is read later, and clears a failure', async () => {
      const older = await seedMessage(db.dataSource, conversation, sender, [dave, carol]);
      const newer = await seedMessage(db.dataSource, conversation, sender, [carol]);
      await db.dataSource.query(`UPDATE message_deliveries SET status = 'failed', failure_reason = 'gone', failed_at = now() WHERE message_id = $1`, [older]);
      expect(await receipts.record([merged(newer, carol, 'read', null, '2030-01-01T12:00:00.000Z')])).toHaveLength(1);
      expect(await lastReadSeq(carol)).toBe(await seqOf(newer));
      expect(await receipts.record([merged(older, carol, 'read', null, '2030-01-01T12:00:01.000Z')])).toHaveLength(1);
      expect(await lastReadSeq(carol)).toBe(await seqOf(newer));
      expect(await delivery(older, carol)).toMatchObject({ status: 'read', failure_reason: null, failed_at: null });

      // Dave has a delivery but no participant row: the delivery moves, no position is written.
      expect(await receipts.record([merged(older, dave, 'delivered', '2030-01-01T12:00:02.000Z', null)])).toEqual([
        { messageId: older, recipientId: dave, senderId: sender, deliveredAt: new Date('2030-01-01T12:00:02.000Z'), dueAt: await createdAt(older) },
      ]);
      expect(await receipts.record([merged(randomUUID(), dave, 'read', null, '2030-01-01T12:00:03.000Z')])).toEqual([]);
    });
  });
});
