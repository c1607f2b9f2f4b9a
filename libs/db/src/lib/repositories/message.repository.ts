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
}
