import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@mq/db';

export interface Membership {
  conversationId: string;
  type: 'direct' | 'group' | 'broadcast';
  lastReadSeq: number;
}

/**
 * The one membership check every read, send and socket event goes through. A conversation
 * that does not exist and one the caller is not in look the same (404): ids are not probed.
 */
@Injectable()
export class MembershipService {
  constructor(private readonly dataSource: DataSource) {}

  async require(userId: string, conversationId: string, manager: EntityManager = this.dataSource.manager): Promise<Membership> {
    const rows = await preparedQuery<{ type: Membership['type']; last_read_seq: string }>(
      manager,
      `SELECT c.type, p.last_read_seq FROM conversations c
       JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = $2 AND p.left_at IS NULL
       WHERE c.id = $1 AND c.deleted_at IS NULL`,
      [conversationId, userId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundException(`Conversation ${conversationId} not found`);
    return { conversationId, type: row.type, lastReadSeq: Number(row.last_read_seq) };
  }
}
