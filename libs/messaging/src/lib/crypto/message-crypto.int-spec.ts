import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EncryptionKeyRepository, MessageEntity, createDataSourceOptions } from '@mq/db';
import { TestDatabase, createTestDatabase } from '@mq/db/testing';
import { DecryptionError } from './aes-gcm';
import { ConversationKeyService } from './conversation-keys.service';
import { MasterKeyring } from './master-keyring';
import { MessageCrypto } from './message-crypto.service';

describe('envelope encryption against real Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let crypto: MessageCrypto;
  const masterKey = randomBytes(32);
  const keyring = new MasterKeyring({ id: 'k1', key: masterKey });
  const userId = randomUUID();

  async function conversationWithKey(): Promise<string> {
    const id = randomUUID();
    await dataSource.query(`INSERT INTO conversations (id, type, created_by) VALUES ($1, 'group', $2)`, [id, userId]);
    await new ConversationKeyService(new EncryptionKeyRepository(dataSource), keyring).createKey(dataSource.manager, id);
    return id;
  }

  async function storeMessage(conversationId: string, seq: number, content: string): Promise<MessageEntity> {
    const id = randomUUID();
    const encrypted = await crypto.encrypt(conversationId, id, content);
    await dataSource.getRepository(MessageEntity).insert({ id, conversationId, seq, senderId: userId, status: 'sent', ...encrypted });
    return dataSource.getRepository(MessageEntity).findOneByOrFail({ id });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(
      createDataSourceOptions({ url: db.url, poolMode: db.poolMode, poolSize: 2, applicationName: 'crypto-test' }),
    ).initialize();
    await dataSource.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, 'c@school.test', 'C', 'x')`, [userId]);
    crypto = new MessageCrypto(new ConversationKeyService(new EncryptionKeyRepository(dataSource), keyring));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('stores only ciphertext, and the data key only wrapped', async () => {
    const conversationId = await conversationWithKey();
    const stored = await storeMessage(conversationId, 1, 'Temperature 38.5, please call the nurse');
    const [raw] = await dataSource.query(`SELECT ciphertext, iv, auth_tag FROM messages WHERE id = $1`, [stored.id]);
    expect(Buffer.from(raw.ciphertext).toString('utf8')).not.toContain('nurse');
    expect(raw.iv).toHaveLength(12);
    const [key] = await dataSource.query(`SELECT wrapped_key, master_key_id FROM encryption_keys WHERE conversation_id = $1`, [conversationId]);
    expect(key.master_key_id).toBe('k1');
    expect(await crypto.decrypt(stored)).toBe('Temperature 38.5, please call the nurse');
  });

  it('refuses a ciphertext copied into another row, or with one tag bit flipped', async () => {
    const conversationId = await conversationWithKey();
    const original = await storeMessage(conversationId, 1, 'original');
    const other = await storeMessage(conversationId, 2, 'other');
    await dataSource.query(`UPDATE messages SET ciphertext = $2, iv = $3, auth_tag = $4 WHERE id = $1`, [
      other.id,
      original.ciphertext,
      original.iv,
      original.authTag,
    ]);
    const copied = await dataSource.getRepository(MessageEntity).findOneByOrFail({ id: other.id });
    await expect(crypto.decrypt(copied)).rejects.toThrow(DecryptionError);

    const flipped = Buffer.from(original.authTag);
    flipped[15] = (flipped[15] as number) ^ 0x01;
    await expect(crypto.decrypt({ ...original, authTag: flipped })).rejects.toThrow(/Cannot decrypt message/);

    // A row moved to another conversation fails too (the AAD names the conversation).
    const elsewhere = await conversationWithKey();
    await expect(crypto.decrypt({ ...original, conversationId: elsewhere })).rejects.toThrow(DecryptionError);
  });

  it('cannot unwrap a data key with another master key', async () => {
    const conversationId = await conversationWithKey();
    const stored = await storeMessage(conversationId, 1, 'x');
    const impostor = new MessageCrypto(
      new ConversationKeyService(new EncryptionKeyRepository(dataSource), new MasterKeyring({ id: 'k1', key: randomBytes(32) })),
    );
    await expect(impostor.decrypt(stored)).rejects.toThrow(/Cannot decrypt the data key/);
  });
});
