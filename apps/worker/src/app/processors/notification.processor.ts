import { Injectable } from '@nestjs/common';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

/** `message-notification`. */
@Injectable()
export class NotificationProcessor {
  @JobHandler(JOB.SEND_NOTIFICATION)
  async sendNotification(_job: HandledJob<'send-notification'>): Promise<{ outcome: string }> {
    throw new Error('send-notification is not wired yet');
  }
}
