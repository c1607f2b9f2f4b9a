import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { OutboxPublisher } from '@mq/messaging';
import { ConfirmationStatus, JOB } from '@mq/queue-contracts';

/**
 * Delivery and read receipts from recipients (socket acks, REST, or a catch-up fetch). They
 * become `delivery-confirmation` jobs through the outbox, so a receipt accepted here is
 * recorded even if Redis is away for a while.
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxPublisher,
  ) {}

  /** One receipt from the recipient; 404 unless the caller is a recipient of the message. */
  async record(recipientId: string, messageId: string, status: ConfirmationStatus): Promise<void> {
    const rows = await preparedQuery(
      this.dataSource,
      'SELECT 1 FROM message_deliveries WHERE message_id = $1 AND recipient_id = $2',
      [messageId, recipientId],
    );
    if (rows.length === 0) throw new NotFoundException(`Message ${messageId} not found`);
    await this.recordMany(recipientId, [messageId], status);
  }

  /** Receipts for messages already known to be the recipient's (e.g. just fetched by them). */
  async recordMany(recipientId: string, messageIds: readonly string[], status: ConfirmationStatus): Promise<void> {
    if (messageIds.length === 0) return;
    const at = new Date().toISOString();
    // One INSERT is atomic on its own: no transaction round trips around it.
    const staged = await this.outbox.stageMany(
      this.dataSource.manager,
      JOB.DELIVERY_CONFIRMATION,
      messageIds.map((messageId) => ({ messageId, recipientId, status, at })),
    );
    await this.outbox.publish(staged);
  }
}
