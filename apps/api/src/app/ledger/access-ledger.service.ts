import { Inject, Injectable } from '@nestjs/common';
import { AccessLedgerRepository, AccessRecord, AccessVia, LedgerHead } from '@mq/db';
import { API_CONFIG, ApiConfig } from '../api.config';
import { MicroBatcher } from '../batching/micro.batcher';

/** Where an access came from. */
export interface AccessOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** What the ledger needs of a message that was read: never its content. */
export interface RevealedMessage {
  id: string;
  conversationId: string;
  senderId: string;
  deletedAt: Date | null;
}

/**
 * Records every access to message content in the access ledger before the content goes out:
 * a read whose row cannot be written fails. Accesses arriving together share one statement
 * and one lock of the chain's head (group commit, as MembershipService does for its checks).
 */
@Injectable()
export class AccessLedgerService {
  private readonly batcher: MicroBatcher<AccessRecord, LedgerHead>;

  constructor(ledger: AccessLedgerRepository, @Inject(API_CONFIG) config: ApiConfig) {
    this.batcher = new MicroBatcher({ run: (records) => ledger.appendMany(records), maxBatch: 500, maxConcurrent: 1, lingerMs: config.batchLingerMs });
  }

  /**
   * `actorId` was shown these messages. The subjects are their senders other than the reader
   * (whose messages were read); tombstones reveal nothing, and a read that revealed nothing
   * (an empty page, only deleted messages) is not recorded.
   */
  async recordRead(actorId: string, messages: readonly RevealedMessage[], via: AccessVia, origin: AccessOrigin): Promise<void> {
    const shown = messages.filter((message) => message.deletedAt === null);
    if (shown.length === 0) return;
    await this.batcher.submit({
      actorId,
      subjectIds: [...new Set(shown.map((message) => message.senderId))].filter((id) => id !== actorId),
      conversationIds: [...new Set(shown.map((message) => message.conversationId))],
      messageIds: shown.map((message) => message.id),
      via,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
  }
}
