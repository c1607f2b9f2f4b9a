import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { MicroBatcher } from '@mq/messaging';
import { API_CONFIG, ApiConfig } from '../api.config';

export interface Membership {
  conversationId: string;
  type: 'direct' | 'group' | 'broadcast';
  lastReadSeq: number;
}

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
    private readonly dataSource: DataSource,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.batcher = new MicroBatcher({ run: (lookups) => this.lookUp(lookups), maxBatch: 1_000, maxConcurrent: 1, lingerMs: config.batchLingerMs });
  }

  require(userId: string, conversationId: string): Promise<Membership> {
    return this.batcher.submit({ userId, conversationId });
  }

  private async lookUp(lookups: readonly Lookup[]): Promise<(Membership | Error)[]> {
    const rows = await preparedQuery<{ ord: string; type: Membership['type']; last_read_seq: string }>(
      this.dataSource,
      `SELECT q.ord, c.type, p.last_read_seq
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS q(conversation_id, user_id, ord)
       JOIN conversations c ON c.id = q.conversation_id AND c.deleted_at IS NULL
       JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = q.user_id AND p.left_at IS NULL`,
      [lookups.map((l) => l.conversationId), lookups.map((l) => l.userId)],
    );
    const byOrd = new Map(rows.map((row) => [Number(row.ord), row]));
    return lookups.map(({ conversationId }, i) => {
      const row = byOrd.get(i + 1);
      return row
        ? { conversationId, type: row.type, lastReadSeq: Number(row.last_read_seq) }
        : new NotFoundException(`Conversation ${conversationId} not found`);
    });
  }
}
