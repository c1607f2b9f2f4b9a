import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedMessage, seedUser } from '../../testing';
import { DeliverySendRepository, RECIPIENT_INACTIVE } from './delivery-send.repository';
import { DeliveryRepository } from './delivery.repository';

describe('DeliveryRepository', () => {
  let db: RepositoryTestDatabase;
  let deliveries: DeliveryRepository;
  let sender: string;
  let bob: string;
  let carol: string;
  let conversation: string;

  const rowsOf = (
    messageId: string,
  ): Promise<{ recipient_id: string; status: string; attempts: number; failure_reason: string | null; failed_at: Date | null }[]> =>
    db.dataSource.query(
      `SELECT recipient_id, status, attempts, failure_reason, failed_at FROM message_deliveries WHERE message_id = $1 ORDER BY recipient_id`,
      [messageId],
    );
  const messageStatus = async (id: string): Promise<string> =>
    ((await db.dataSource.query(`SELECT status FROM messages WHERE id = $1`, [id])) as { status: string }[])[0]?.status ?? '';

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('delivery-repository-spec');
    deliveries = new DeliveryRepository(db.dataSource);
    [sender, bob, carol] = [await seedUser(db.dataSource, 'Sender'), await seedUser(db.dataSource, 'Bob'), await seedUser(db.dataSource, 'Carol')];
    conversation = await seedConversation(db.dataSource, [sender, bob, carol]);
  });
  afterAll(() => db?.close());

  it('writes each failed attempt onto the queued deliveries, and the last one fails them and the message', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'sent', sent_at = now() WHERE message_id = $1 AND recipient_id = $2`, [message, carol]);

    expect(await deliveries.recordSendJobFailure({ messageIds: [message], attempts: 1, reason: 'redis went away', final: false })).toBe(0);
    let rows = await rowsOf(message);
    expect(rows.find((r) => r.recipient_id === bob)).toMatchObject({ status: 'queued', attempts: 1, failure_reason: 'redis went away', failed_at: null });
    expect(rows.find((r) => r.recipient_id === carol)).toMatchObject({ status: 'sent', attempts: 0, failure_reason: null });

    expect(await deliveries.recordSendJobFailure({ messageIds: [message], attempts: 5, reason: 'still away', final: true })).toBe(1);
    rows = await rowsOf(message);
    expect(rows.find((r) => r.recipient_id === bob)).toMatchObject({ status: 'failed', attempts: 5, failure_reason: 'still away' });
    expect(rows.find((r) => r.recipient_id === bob)?.failed_at).toBeInstanceOf(Date);
    expect(rows.find((r) => r.recipient_id === carol)?.status).toBe('sent');
    expect(await messageStatus(message)).toBe('failed');
  });

  it('counts an operator’s failed retry onto deliveries that failed before it started, once', async () => {
    const message = await seedMessage(db.dataSource, conversation, sender, [bob]);
    await deliveries.recordSendJobFailure({ messageIds: [message], attempts: 5, reason: 'first', final: true });
    await db.dataSource.query(`UPDATE message_deliveries SET failed_at = now() - interval '1 minute' WHERE message_id = $1`, [message]);
    await deliveries.recordSendJobFailure({ messageIds: [message], attempts: 1, reason: 'retry failed', final: true, attemptStartedAt: new Date() });
    expect((await rowsOf(message))[0]).toMatchObject({ status: 'failed', attempts: 6, failure_reason: 'retry failed' });
    // Reported twice (listener and reconciler): the row failed after the attempt started, so it is not counted again.
    await deliveries.recordSendJobFailure({
      messageIds: [message],
      attempts: 1,
      reason: 'retry failed',
      final: true,
      attemptStartedAt: new Date(Date.now() - 60_000),
    });
    expect((await rowsOf(message))[0]).toMatchObject({ attempts: 6 });
  });

  it('lists failed deliveries newest first, by queue, reason and time, a page at a time', async () => {
    await db.dataSource.query(`DELETE FROM messages`);
    const direct = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
    const fanOut = await seedMessage(db.dataSource, conversation, sender, [bob]);
    await db.dataSource.query(`UPDATE message_deliveries SET job_id = 'batch:' || message_id WHERE message_id = $1`, [fanOut]);
    await deliveries.recordSendJobFailure({ messageIds: [direct], attempts: 5, reason: 'SMTP 550 mailbox unavailable', final: true });
    await deliveries.recordSendJobFailure({ messageIds: [fanOut], attempts: 5, reason: 'push gone', final: true });

    const all = (await deliveries.failedPage({ limit: 10 })).items;
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({
      messageId: fanOut,
      conversationId: conversation,
      recipientId: bob,
      failureReason: 'push gone',
      attempts: 5,
      jobId: `batch:${fanOut}`,
    });
    expect(all.every((row, i) => i === 0 || (row.failedAt ?? '') <= (all[i - 1]?.failedAt ?? ''))).toBe(true);

    expect((await deliveries.failedPage({ limit: 10, queue: 'batch-message-sending' })).items.map((r) => r.messageId)).toEqual([fanOut]);
    expect((await deliveries.failedPage({ limit: 10, queue: 'message-delivery' })).items.map((r) => r.recipientId).sort()).toEqual([bob, carol].sort());
    expect((await deliveries.failedPage({ limit: 10, reason: 'smtp 550' })).items).toHaveLength(2);
    expect((await deliveries.failedPage({ limit: 10, from: new Date(Date.now() + 60_000) })).items).toEqual([]);
    expect((await deliveries.failedPage({ limit: 10, to: new Date(Date.now() + 60_000) })).items).toHaveLength(3);

    // The two deliveries of one message failed in one statement, at the same microsecond: paging splits them.
    const first = await deliveries.failedPage({ limit: 2 });
    expect(first.next).not.toBeNull();
    const rest = await deliveries.failedPage({ limit: 2, after: first.next ?? undefined });
    expect(rest.next).toBeNull();
    expect([...first.items, ...rest.items]).toEqual(all);
  });

  it('groups failed deliveries by cause: reasons differing only in ids or numbers are one group, with the text that lists them', async () => {
    await db.dataSource.query(`DELETE FROM messages`);
    const one = await seedMessage(db.dataSource, conversation, sender, [bob]);
    const two = await seedMessage(db.dataSource, conversation, sender, [carol]);
    const three = await seedMessage(db.dataSource, conversation, sender, [bob, carol]);
    await deliveries.recordSendJobFailure({ messageIds: [one], attempts: 5, reason: `Cannot decrypt message ${one}: authentication failed`, final: true });
    await deliveries.recordSendJobFailure({ messageIds: [two], attempts: 5, reason: `Cannot decrypt message ${two}: authentication failed`, final: true });
    await db.dataSource.query(`UPDATE message_deliveries SET failed_at = failed_at - interval '1 hour' WHERE message_id = $1`, [one]);
    await deliveries.recordSendJobFailure({ messageIds: [three], attempts: 5, reason: 'recipient account is inactive', final: true });

    const groups = await deliveries.failedGroups(10);
    expect(groups.map((g) => [g.reason, g.count])).toEqual([
      ['recipient account is inactive', 2],
      ['Cannot decrypt message <id>: authentication failed', 2],
    ]);
    const [inactive, decrypt] = groups;
    expect(inactive?.sample).toMatchObject({ messageId: three, failureReason: 'recipient account is inactive' });
    expect(decrypt?.sample).toEqual({ messageId: two, recipientId: carol, failureReason: `Cannot decrypt message ${two}: authentication failed` });
    expect(Date.parse(decrypt?.lastSeen ?? '') - Date.parse(decrypt?.firstSeen ?? '')).toBeGreaterThan(3_500_000);
    // The group's filter lists exactly its deliveries.
    expect(decrypt?.filter).toBe(': authentication failed');
    expect((await deliveries.failedPage({ limit: 10, reason: decrypt?.filter })).items.map((r) => r.messageId).sort()).toEqual([one, two].sort());
    expect(await deliveries.failedGroups(1)).toHaveLength(1);
  });

  it('lists one broadcast’s failed deliveries only, newest first, a page at a time', async () => {
    const [dan, eve] = [await seedUser(db.dataSource, 'Dan'), await seedUser(db.dataSource, 'Eve')];
    const broadcast = await seedMessage(db.dataSource, conversation, sender, []);
    const batchId = randomUUID();
    await db.dataSource.query(
      `INSERT INTO batches (id, kind, message_id, conversation_id, created_by, total, status, chunk_size, chunk_delay_ms)
       VALUES ($1, 'broadcast', $2, $3, $4, 4, 'running', 2, 0)`,
      [batchId, broadcast, conversation, sender],
    );
    // Deactivated after the broadcast started: the fan-out writes their deliveries failed.
    await db.dataSource.query(`UPDATE users SET active = false WHERE id = ANY($1)`, [[dan, eve]]);
    const sends = new DeliverySendRepository();
    const first = await db.dataSource.transaction((manager) => sends.insertChunk(manager, broadcast, [bob, dan], `batch:${batchId}`));
    const second = await db.dataSource.transaction((manager) => sends.insertChunk(manager, broadcast, [carol, eve], `batch:${batchId}`));
    expect([first, second]).toEqual([
      { sent: [bob], failed: 1 },
      { sent: [carol], failed: 1 },
    ]);
    // Another message's failure is not this broadcast's.
    const other = await seedMessage(db.dataSource, conversation, sender, [bob]);
    await deliveries.recordSendJobFailure({ messageIds: [other], attempts: 5, reason: 'gone', final: true });

    const page = await deliveries.failedPage({ limit: 10, batchId });
    expect(page.items.map((row) => row.recipientId)).toEqual([eve, dan]);
    expect(page.items[0]).toMatchObject({ messageId: broadcast, failureReason: RECIPIENT_INACTIVE, attempts: 1, jobId: `batch:${batchId}` });
    const one = await deliveries.failedPage({ limit: 1, batchId });
    const next = await deliveries.failedPage({ limit: 1, batchId, after: one.next ?? undefined });
    expect([...one.items, ...next.items]).toEqual(page.items);
    expect((await deliveries.failedPage({ limit: 10, batchId, reason: 'participant' })).items).toEqual([]);
    expect(await deliveries.failedPage({ limit: 10, batchId: randomUUID() })).toEqual({ items: [], next: null });
    // A retried delivery that went out leaves the list (its failed_at stays).
    await db.dataSource.query(`UPDATE message_deliveries SET status = 'sent' WHERE message_id = $1 AND recipient_id = $2`, [broadcast, eve]);
    expect((await deliveries.failedPage({ limit: 10, batchId })).items.map((row) => row.recipientId)).toEqual([dan]);
  });

  it('finds which messages have a failed delivery to retry, leaving out deleted ones', async () => {
    const failed = await seedMessage(db.dataSource, conversation, sender, [bob]);
    const fine = await seedMessage(db.dataSource, conversation, sender, [bob]);
    const deleted = await seedMessage(db.dataSource, conversation, sender, [bob]);
    await deliveries.recordSendJobFailure({ messageIds: [failed, deleted], attempts: 5, reason: 'gone', final: true });
    await db.dataSource.query(`UPDATE messages SET deleted_at = now() WHERE id = $1`, [deleted]);
    expect(await deliveries.messagesWithFailedDeliveries([failed, fine, deleted])).toEqual([failed]);
  });
});
