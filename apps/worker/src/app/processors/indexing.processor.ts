import { Injectable } from '@nestjs/common';
import { MessageEntity, MessageRepository } from '@mq/db';
import { MessageCrypto, MessageSearchService } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler, MessageQueueService } from '@mq/queue';

export interface IndexResult {
  operation: 'index' | 'update' | 'delete';
  /** Messages whose entries now match their content, and how many terms they have in all. */
  indexed: number;
  terms: number;
  /** Messages deleted or gone: their entries removed. */
  removed: number;
  /** Messages of a larger batch that could not be read, handed to a job of their own. */
  splitOut: string[];
}

const MAX_READS = 3;

/**
 * `message-indexing`: keeps messages' blind-index entries equal to their current content.
 * Whatever the operation says, the row decides: a deleted or vanished message is removed
 * from the index, and a write only happens if the row is still what was read, so a late or
 * repeated job can never resurrect it or index old words. A batch is read and written in one
 * statement each.
 */
@Injectable()
export class IndexingProcessor {
  constructor(
    private readonly messages: MessageRepository,
    private readonly crypto: MessageCrypto,
    private readonly search: MessageSearchService,
    private readonly producer: MessageQueueService,
  ) {}

  @JobHandler(JOB.INDEX_MESSAGE)
  async indexMessage(job: HandledJob<'index-message'>): Promise<IndexResult> {
    const { messageIds, operation } = job.data;
    const result: IndexResult = { operation, indexed: 0, terms: 0, removed: 0, splitOut: [] };
    let pending = [...messageIds];
    // Changed between read and write (an edit, a delete, a key rotation re-encrypting it): read again.
    for (let read = 1; read <= MAX_READS && pending.length > 0; read += 1) {
      const found = await this.messages.loadMany(pending);
      const live = pending.map((id) => found.get(id)).filter((m): m is MessageEntity => m !== undefined && m.deletedAt === null && operation !== 'delete');
      const gone = pending.filter((id) => !live.some((m) => m.id === id));
      await this.search.removeMany(gone);
      result.removed += gone.length;
      const entries: { message: MessageEntity; content: string }[] = [];
      for (const message of live) {
        try {
          entries.push({ message, content: await this.crypto.decrypt(message) });
        } catch (error) {
          // One unreadable message must not hold up the others: alone, it fails (and retries) by itself.
          if (messageIds.length === 1) throw error;
          result.splitOut.push(message.id);
        }
      }
      const written = await this.search.index(entries);
      for (const terms of written.values()) result.terms += terms;
      result.indexed += written.size;
      pending = entries.filter((e) => !written.has(e.message.id)).map((e) => e.message.id);
    }
    for (const messageId of result.splitOut) await this.producer.addIndexingJob({ ...job.data, messageIds: [messageId] });
    if (pending.length > 0)
      throw new Error(`${pending.length} message(s) kept changing while being indexed (${MAX_READS} reads), first ${pending[0]}; will retry`);
    return result;
  }
}
