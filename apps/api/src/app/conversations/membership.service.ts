import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConversationRepository, MembershipRow } from '@mq/db';
import { MicroBatcher } from '../batching/micro.batcher';
import { API_CONFIG, ApiConfig } from '../api.config';

export type Membership = MembershipRow;

interface Lookup {
  userId: string;
  conversationId: string;
}

/**
 * The one membership check every read, send and socket event goes through. A conversation
 * that does not exist and one the caller is not in look the same (404): ids are not probed.
 * Checks arriving together are answered by one query. It is a send's first step, so its
 * linger (BATCH_LINGER_MS) shapes the batches of every step after it: the checks of one run
 * are answered together and go on together to the rate limit and the commit.
 */
@Injectable()
export class MembershipService {
  private readonly batcher: MicroBatcher<Lookup, Membership>;

  constructor(
    private readonly conversations: ConversationRepository,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.batcher = new MicroBatcher({ run: (lookups) => this.lookUp(lookups), maxBatch: 1_000, maxConcurrent: 1, lingerMs: config.batchLingerMs });
  }

  require(userId: string, conversationId: string): Promise<Membership> {
    return this.batcher.submit({ userId, conversationId });
  }

  private async lookUp(lookups: readonly Lookup[]): Promise<(Membership | Error)[]> {
    const rows = await this.conversations.memberships(lookups);
    return lookups.map(({ conversationId }, i) => rows[i] ?? new NotFoundException(`Conversation ${conversationId} not found`));
  }
}
