import { Injectable } from '@nestjs/common';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

/** `message-encryption`. */
@Injectable()
export class EncryptionProcessor {
  @JobHandler(JOB.ENCRYPT_DECRYPT)
  async encryptDecrypt(_job: HandledJob<'encrypt-decrypt'>): Promise<{ outcome: string }> {
    throw new Error('encrypt-decrypt is not wired yet');
  }
}
