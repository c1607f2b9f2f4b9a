import { randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../testing';
import { createDataSourceOptions } from '../data-source';
import { allocateMessageSeq } from '../message-seq.helper';
import { AlertEntity } from './alert.entity';
import { ConversationEntity, directConversationKey } from './conversation.entity';
import { ConversationParticipantEntity } from './conversation-participant.entity';
import { MessageDeliveryEntity } from './message-delivery.entity';
import { MessageEntity } from './message.entity';
import { NotificationEntity } from './notification.entity';
import { UserEntity } from './user.entity';

/** The constraint a failed statement violated, from pg's error. */
async function violatedConstraint(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    if (error instanceof QueryFailedError) {
      const driverError: unknown = error.driverError;
      if (typeof driverError === 'object' && driverError !== null && 'constraint' in driverError) {
        return String(driverError.constraint);
      }
    }
    throw error;
  }
  throw new Error('expected the statement to violate a constraint');
}

describe('schema constraints', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let alice: UserEntity;
  let bob: UserEntity;
  let conversation: ConversationEntity;

  const users = () => dataSource.getRepository(UserEntity);
  const messages = () => dataSource.getRepository(MessageEntity);

  async function message(overrides: Partial<MessageEntity> = {}): Promise<MessageEntity> {
    return messages().save(
      messages().create({
        conversationId: conversation.id,
        seq: await allocateMessageSeq(dataSource.manager, conversation.id),
        senderId: alice.id,
        ciphertext: Buffer.from('c'),
        iv: Buffer.alloc(12),
        authTag: Buffer.alloc(16),
        keyVersion: 1,
        status: 'queued',
        ...overrides,
      }),
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      createDataSourceOptions({ url: database.url, poolMode: database.poolMode, poolSize: 2, applicationName: 'db-int-spec', logging: false }),
    ).initialize();
    alice = await users().save(users().create({ email: 'Alice@Example.com', displayName: 'Alice', passwordHash: 'x' }));
    bob = await users().save(users().create({ email: 'bob@example.com', displayName: 'Bob', passwordHash: 'x' }));
    conversation = await dataSource.getRepository(ConversationEntity).save({
      type: 'direct',
      directKey: directConversationKey(alice.id, bob.id),
      createdBy: alice.id,
    });
    await dataSource.getRepository(ConversationParticipantEntity).save([
      { conversationId: conversation.id, userId: alice.id },
      { conversationId: conversation.id, userId: bob.id },
    ]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('reads bigint counters as numbers', async () => {
    const sent = await message();
    const loaded = await messages().findOneByOrFail({ id: sent.id });
    expect(loaded.seq).toBe(sent.seq);
    expect(typeof loaded.seq).toBe('number');
    const reloaded = await dataSource.getRepository(ConversationEntity).findOneByOrFail({ id: conversation.id });
    expect(reloaded.lastSeq).toBe(loaded.seq);
    const participant = await dataSource.getRepository(ConversationParticipantEntity).findOneByOrFail({ conversationId: conversation.id, userId: bob.id });
    expect(participant.lastReadSeq).toBe(0);
  });

  it('allocates consecutive seqs under concurrency', async () => {
    const seqs = await Promise.all(Array.from({ length: 10 }, () => dataSource.transaction((manager) => allocateMessageSeq(manager, conversation.id))));
    expect(new Set(seqs).size).toBe(10);
    expect(Math.max(...seqs) - Math.min(...seqs)).toBe(9);
    await expect(allocateMessageSeq(dataSource.manager, randomUUID())).rejects.toThrow(/does not exist/);
  });

  it('rejects a second message with the same client id from the same sender, and only that', async () => {
    await message({ clientMessageId: 'client-1' });
    await message({ clientMessageId: 'client-1', senderId: bob.id });
    await message({ clientMessageId: null });
    await message({ clientMessageId: null });
    expect(await violatedConstraint(message({ clientMessageId: 'client-1' }))).toBe('uq_messages_sender_id_client_message_id');
  });

  it('rejects a duplicate seq within a conversation', async () => {
    const first = await message();
    expect(await violatedConstraint(message({ seq: first.seq }))).toBe('uq_messages_conversation_id_seq');
  });

  it('rejects an unknown status', async () => {
    expect(await violatedConstraint(message({ status: 'lost' as MessageEntity['status'] }))).toBe('chk_messages_status');
    const delivery = dataSource.getRepository(MessageDeliveryEntity);
    const sent = await message();
    expect(await violatedConstraint(delivery.insert({ messageId: sent.id, recipientId: bob.id, status: 'bounced' as MessageDeliveryEntity['status'] }))).toBe(
      'chk_message_deliveries_status',
    );
  });

  it('stores emails lower-cased and finds them whatever the case', async () => {
    expect((await users().findOneByOrFail({ id: alice.id })).email).toBe('alice@example.com');
    expect((await users().findOneByOrFail({ email: 'ALICE@example.COM' })).id).toBe(alice.id);
    expect(await violatedConstraint(dataSource.query(`INSERT INTO users (email, display_name, password_hash) VALUES ('Carol@Example.com', 'C', 'x')`))).toBe(
      'chk_users_email_lower_case',
    );
    expect(await violatedConstraint(users().insert({ email: 'BOB@example.com', displayName: 'B2', passwordHash: 'x' }))).toBe('uq_users_email');
  });

  it('keeps a direct pair to one conversation', async () => {
    const conversations = dataSource.getRepository(ConversationEntity);
    expect(await violatedConstraint(conversations.insert({ type: 'direct', directKey: directConversationKey(bob.id, alice.id), createdBy: bob.id }))).toBe(
      'uq_conversations_direct_key',
    );
    expect(await violatedConstraint(conversations.insert({ type: 'group', directKey: 'x:y', createdBy: bob.id }))).toBe('chk_conversations_direct_key');
  });

  it('allows one open alert per dedupe key', async () => {
    const alerts = dataSource.getRepository(AlertEntity);
    const alert = { rule: 'failure-rate', dedupeKey: 'failure-rate:message-delivery', severity: 'warning' as const, message: 'm', value: 0.2, threshold: 0.1 };
    const first = await alerts.save(alerts.create(alert));
    expect(await violatedConstraint(alerts.insert(alert))).toBe('uq_alerts_dedupe_key_open');
    await alerts.update(first.id, { status: 'resolved', resolvedAt: new Date() });
    await expect(alerts.insert(alert)).resolves.toBeDefined();
  });

  it('cascades deliveries with their message and keeps notifications', async () => {
    const sent = await message();
    await dataSource.getRepository(MessageDeliveryEntity).insert({ messageId: sent.id, recipientId: bob.id });
    const notifications = dataSource.getRepository(NotificationEntity);
    const notification = await notifications.save(
      notifications.create({
        userId: bob.id,
        messageId: sent.id,
        channel: 'email',
        title: 'New message from Alice',
        body: 'Open the app to read it',
        dedupeKey: `${sent.id}:${bob.id}:email:${randomUUID()}`,
      }),
    );
    await messages().delete(sent.id);
    expect(await dataSource.getRepository(MessageDeliveryEntity).countBy({ messageId: sent.id })).toBe(0);
    expect((await notifications.findOneByOrFail({ id: notification.id })).messageId).toBeNull();
  });
});
