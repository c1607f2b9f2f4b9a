import { Injectable } from '@nestjs/common';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

/** `message-indexing`. */
@Injectable()
export class IndexingProcessor {
  @JobHandler(JOB.INDEX_MESSAGE)
  async indexMessage(_job: HandledJob<'index-message'>): Promise<{ outcome: string }> {
    throw new Error('index-message is not wired yet');
  }
}
