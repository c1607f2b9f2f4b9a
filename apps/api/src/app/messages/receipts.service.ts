import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ReceiptRepository } from '@mq/db';
import { OutboxPublisher } from '@mq/messaging';
import { MicroBatcher } from '../batching/micro.batcher';
import { ConfirmationStatus, JOB, QUEUE_POLICY, RECEIPT_BATCH_MAX, jobIdFor, queueOfJob } from '@mq/queue-contracts';
import { currentTraceparent } from '@mq/tracing';
import { API_CONFIG, ApiConfig } from '../api.config';

interface PendingReceipt {
  messageId: string;
  recipientId: string;
  status: ConfirmationStatus;
  at: string;
  /** Tracing on: the ack's trace context, for the receipt's job span. */
  traceparent?: string;
}

const QUEUE = queueOfJob(JOB.DELIVERY_CONFIRMATION);

/**
 * Delivery and read receipts from recipients (socket acks, REST, or a catch-up fetch). The
 * receipts of the moment, from every socket of this instance, are checked and staged together:
 * one statement finds which name a delivery of the caller (404 for the others) and writes one
 * `delivery-confirmation` outbox row with those that move it forward, so a receipt accepted here
 * is recorded even if Redis is away for a while.
 */
@Injectable()
export class ReceiptsService {
  private readonly batcher: MicroBatcher<PendingReceipt, void>;

  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly outbox: OutboxPublisher,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.batcher = new MicroBatcher({ run: (receipts) => this.stage(receipts), maxBatch: RECEIPT_BATCH_MAX, maxConcurrent: 1, lingerMs: config.batchLingerMs });
  }

  /** One receipt from the recipient; 404 unless the caller is a recipient of the message. */
  record(recipientId: string, messageId: string, status: ConfirmationStatus): Promise<void> {
    const traceparent = currentTraceparent();
    return this.batcher.submit(
      traceparent
        ? { messageId, recipientId, status, at: new Date().toISOString(), traceparent }
        : { messageId, recipientId, status, at: new Date().toISOString() },
    );
  }

  /** Receipts for messages already known to be the recipient's (e.g. just fetched by them). */
  async recordMany(recipientId: string, messageIds: readonly string[], status: ConfirmationStatus): Promise<void> {
    await Promise.all(messageIds.map((messageId) => this.record(recipientId, messageId, status)));
  }

  private async stage(receipts: readonly PendingReceipt[]): Promise<(void | Error)[]> {
    const jobId = jobIdFor(JOB.DELIVERY_CONFIRMATION, { receipts: [...receipts] });
    const priority = QUEUE_POLICY[QUEUE].defaultPriority;
    const { known, job } = await this.receipts.stage(receipts, { queue: QUEUE, jobName: JOB.DELIVERY_CONFIRMATION, jobId, priority });
    if (job) {
      await this.outbox.publish([
        { id: job.outboxId, jobId, jobName: JOB.DELIVERY_CONFIRMATION, payload: job.payload, priority, availableAt: job.availableAt },
      ]);
    }
    return receipts.map((receipt, i) => (known[i] ? undefined : new NotFoundException(`Message ${receipt.messageId} not found`)));
  }
}
