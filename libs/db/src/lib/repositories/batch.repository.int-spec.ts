import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase, seedUser } from '../../testing';
import { allocateMessageSeq } from '../message-seq.helper';
import { BatchRepository } from './batch.repository';
import { ConversationRepository } from './conversation.repository';
import { MessageRepository } from './message.repository';
import { UserRepository } from './user.repository';

describe('BatchRepository', () => {
  let db: RepositoryTestDatabase;
  let batches: BatchRepository;
  let admin: string;
  let batchId: string;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('batch-repository-spec');
    batches = new BatchRepository(db.dataSource);
    admin = await seedUser(db.dataSource, 'Admin');
  });
  afterAll(() => db?.close());

  it('stores a broadcast with its conversation and message in one transaction', async () => {
    const [parent, inactive] = [await seedUser(db.dataSource, 'Parent'), await seedUser(db.dataSource, 'Gone')];
    await db.dataSource.query(`UPDATE users SET active = false WHERE id = $1`, [inactive]);
    const users = new UserRepository(db.dataSource);
    expect(await users.countActiveExcept(admin)).toBe(1);
    expect(await users.activeIds([parent, inactive])).toEqual([parent]);

    batchId = randomUUID();
    const messageId = randomUUID();
    await db.dataSource.transaction(async (manager) => {
      const conversationId = await new ConversationRepository(db.dataSource).create(manager, {
        type: 'broadcast',
        title: 'Announcement',
        directKey: null,
        createdBy: admin,
        participantIds: [admin],
      });
      await new MessageRepository(db.dataSource).insert(manager, {
        id: messageId,
        conversationId,
        seq: await allocateMessageSeq(manager, conversationId),
        senderId: admin,
        ciphertext: Buffer.from('c'),
        iv: Buffer.alloc(12),
        authTag: Buffer.alloc(16),
        keyVersion: 1,
        priority: 'normal',
        status: 'queued',
        batchId,
      });
      await batches.createBroadcast(manager, {
        id: batchId,
        messageId,
        conversationId,
        createdBy: admin,
        allUsers: true,
        recipientIds: null,
        total: 1,
        chunkSize: 500,
        chunkDelayMs: 0,
      });
    });
    expect(await batches.find(batchId)).toEqual({ id: batchId, total: 1, processed: 0, failed: 0, status: 'queued', chunkSize: 500, chunkDelayMs: 0 });
    const [message] = await new MessageRepository(db.dataSource).findByIds([messageId]);
    expect(message).toMatchObject({ batchId, seq: 1, status: 'queued' });
    expect(await batches.find(randomUUID())).toBeUndefined();
  });

  it('lists broadcasts newest first with who started them, by status, page by page', async () => {
    const [first] = (await batches.page({ limit: 10 })).items;
    expect(first).toMatchObject({ id: batchId, kind: 'broadcast', status: 'queued', total: 1, createdBy: admin, createdByName: 'Admin', startedAt: null });
    expect(first?.createdAt).toBeInstanceOf(Date);
    expect((await batches.page({ status: 'queued', limit: 10 })).items.map((b) => b.id)).toEqual([batchId]);
    expect((await batches.page({ status: 'running', limit: 10 })).items).toEqual([]);
    const page = await batches.page({ limit: 1 });
    expect(page.next).not.toBeNull();
    expect((await batches.page({ limit: 1, after: page.next ?? undefined })).items).toEqual([]);
  });

  it('details one broadcast: who started it, its pace, its deliveries counted by status', async () => {
    expect(await batches.detail(batchId)).toMatchObject({
      id: batchId,
      createdByName: 'Admin',
      chunkSize: 500,
      chunkDelayMs: 0,
      deliveries: { queued: 0, sent: 0, delivered: 0, read: 0, failed: 0 },
    });
    const [{ message_id: messageId }] = (await db.dataSource.query(`SELECT message_id FROM batches WHERE id = $1`, [batchId])) as [{ message_id: string }];
    const [a, b, c] = [await seedUser(db.dataSource), await seedUser(db.dataSource), await seedUser(db.dataSource)];
    await db.dataSource.query(
      `INSERT INTO message_deliveries (message_id, recipient_id, status, failed_at) VALUES ($1, $2, 'sent', NULL), ($1, $3, 'read', NULL), ($1, $4, 'failed', now())`,
      [messageId, a, b, c],
    );
    await db.dataSource.transaction((manager) => batches.advance(manager, batchId, 2, '3', 1));
    const detail = await batches.detail(batchId);
    expect(detail).toMatchObject({ messageId, processed: 2, failed: 1, deliveries: { queued: 0, sent: 1, delivered: 0, read: 1, failed: 1 } });
    expect(detail?.createdAt).toBeInstanceOf(Date);
    expect(await batches.detail(randomUUID())).toBeUndefined();
  });

  it('moves between states only from the ones allowed', async () => {
    expect(await batches.transition(batchId, 'running', ['paused'])).toBe(false);
    expect(await batches.transition(batchId, 'paused', ['queued', 'running'])).toBe(true);
    expect((await batches.find(batchId))?.status).toBe('paused');
    await db.dataSource.transaction(async (manager) => {
      expect(await batches.transition(batchId, 'running', ['paused'], manager)).toBe(true);
      expect((await batches.find(batchId, manager))?.status).toBe('running');
    });
    expect(await batches.transition(batchId, 'cancelled', ['queued', 'running', 'paused'])).toBe(true);
    expect(await batches.transition(batchId, 'paused', ['queued', 'running'])).toBe(false);
  });
});
