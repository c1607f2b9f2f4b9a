import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

/** `message-delivery`: sending a message to its recipients, and recording their receipts. */
@Injectable()
export class DeliveryProcessor {
  constructor(private readonly dataSource: DataSource) {}

  @JobHandler(JOB.SEND_MESSAGE)
  async sendMessage(job: HandledJob<'send-message'>): Promise<{ outcome: string }> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM messages WHERE id = $1', [job.data.messageId]);
    if (rows.length === 0) return { outcome: 'skipped: message not found' };
    throw new Error('message fan-out is not wired yet');
  }

  @JobHandler(JOB.DELIVERY_CONFIRMATION)
  async deliveryConfirmation(job: HandledJob<'delivery-confirmation'>): Promise<{ outcome: string }> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM messages WHERE id = $1', [job.data.messageId]);
    if (rows.length === 0) return { outcome: 'skipped: message not found' };
    throw new Error('receipts are not wired yet');
  }
}
