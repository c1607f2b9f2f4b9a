import { Injectable } from '@nestjs/common';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

/** `batch-message-sending`. */
@Injectable()
export class BatchProcessor {
  @JobHandler(JOB.BATCH_SEND)
  async batchSend(_job: HandledJob<'batch-send'>): Promise<{ outcome: string }> {
    throw new Error('batch-send is not wired yet');
  }
}
