import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { MessageEntity } from '../entities/message.entity';

/** A message as stored: content already encrypted. */
export type NewMessage = Pick<
  MessageEntity,
  'id' | 'conversationId' | 'seq' | 'senderId' | 'ciphertext' | 'iv' | 'authTag' | 'keyVersion' | 'priority' | 'status' | 'batchId'
>;

/** `messages`: stored encrypted; decrypting is the caller's (MessageCrypto). */
@Injectable()
export class MessageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** In no particular order; ids with no message are left out. */
  async findByIds(ids: readonly string[]): Promise<MessageEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(MessageEntity).findBy({ id: In([...ids]) });
  }

  /** One message, inside the caller's transaction (a broadcast's, with its batch and job). */
  async insert(manager: EntityManager, message: NewMessage): Promise<void> {
    await manager.insert(MessageEntity, message);
  }

  /**
   * Inside the caller's transaction, locked for update: up to `limit` of the conversation's
   * messages under a key version older than `version`, in id order.
   */
  async lockUnderOlderKey(manager: EntityManager, conversationId: string, version: number, limit: number): Promise<MessageEntity[]> {
    return manager
      .createQueryBuilder(MessageEntity, 'm')
      .where('m.conversation_id = :conversationId AND m.key_version < :version', { conversationId, version })
      .orderBy('m.id')
      .limit(limit)
      .setLock('pessimistic_write')
      .getMany();
  }

  /** The message's content encrypted anew, if it is still under the key version it was read with. */
  async replaceEncryption(
    manager: EntityManager,
    id: string,
    fromKeyVersion: number,
    encrypted: Pick<MessageEntity, 'ciphertext' | 'iv' | 'authTag' | 'keyVersion'>,
  ): Promise<void> {
    await manager.update(MessageEntity, { id, keyVersion: fromKeyVersion }, encrypted);
  }

  /** Conversations with a message under a key older than their active one. */
  async conversationsBehindActiveKey(): Promise<string[]> {
    const rows: { conversation_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.conversation_id FROM messages m
       JOIN encryption_keys k ON k.conversation_id = m.conversation_id AND k.status = 'active'
       WHERE m.key_version < k.version`,
    );
    return rows.map((row) => row.conversation_id);
  }
}
