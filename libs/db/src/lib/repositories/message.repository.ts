import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { MessageEntity } from '../entities/message.entity';

/** `messages`: stored encrypted; decrypting is the caller's (MessageCrypto). */
@Injectable()
export class MessageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** In no particular order; ids with no message are left out. */
  async findByIds(ids: readonly string[]): Promise<MessageEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(MessageEntity).findBy({ id: In([...ids]) });
  }
}
