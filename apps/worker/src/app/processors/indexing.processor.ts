import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadMessage } from '@mq/db';
import { MessageCrypto, MessageSearchService } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

export interface IndexResult {
  operation: 'index' | 'update' | 'delete';
  terms: number;
}

const MAX_READS = 3;

/**
 * `message-indexing`: keeps a message's blind-index entries equal to its current content.
 * Whatever the operation says, the row decides: a deleted or vanished message is removed
 * from the index, and the write only happens if the row is still what was read, so a late or
 * repeated job can never resurrect it or index old words.
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
    // Changed between read and write (an edit, a delete, a key rotation re-encrypting it): read again.
    for (let read = 1; read <= MAX_READS; read += 1) {
      const message = await loadMessage(this.dataSource, messageId);
      if (!message || message.deletedAt || operation === 'delete') {
        await this.search.remove(messageId);
        return { operation, terms: 0 };
      }
      const terms = await this.search.index(message, await this.crypto.decrypt(message));
      if (terms !== undefined) return { operation, terms };
    }
    throw new Error(`message ${messageId} kept changing while being indexed (${MAX_READS} reads); will retry`);
  }
}
