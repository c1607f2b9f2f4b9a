import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessageEntity } from '@mq/db';
import { MessageCrypto, MessageSearchService } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

export interface IndexResult {
  operation: 'index' | 'update' | 'delete';
  terms: number;
}

/**
 * `message-indexing`: keeps a message's blind-index entries equal to its current content.
 * Whatever the operation says, the row decides: a deleted or vanished message is removed
 * from the index, so a late or repeated job can never resurrect it.
 */
@Injectable()
export class IndexingProcessor {
  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: MessageCrypto,
    private readonly search: MessageSearchService,
  ) {}

  @JobHandler(JOB.INDEX_MESSAGE)
  async indexMessage(job: HandledJob<'index-message'>): Promise<IndexResult> {
    const { messageId, operation } = job.data;
    return this.dataSource.transaction(async (manager) => {
      // Locked, so an index and a delete of one message cannot interleave.
      const message = await manager.findOne(MessageEntity, { where: { id: messageId }, lock: { mode: 'pessimistic_read' } });
      if (!message || message.deletedAt || operation === 'delete') {
        await this.search.remove(messageId, manager);
        return { operation, terms: 0 };
      }
      const content = await this.crypto.decrypt(message, manager);
      return { operation, terms: await this.search.index(message.id, message.conversationId, content, manager) };
    });
  }
}
