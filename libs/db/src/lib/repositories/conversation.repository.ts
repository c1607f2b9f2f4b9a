import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Conversation } from '@mq/messaging-contracts';
import type { ConversationType } from '../entities/conversation.entity';
import { preparedQuery } from '../prepared-query';
import { isUniqueViolation } from './unique-violation';
import { idAfter, idUpTo } from './keyset-page';

export interface NewConversation {
  type: ConversationType;
  title: string | null;
  /** Set for a direct conversation: the one key both users' pair maps to. */
  directKey: string | null;
  createdBy: string;
  /** Every participant, the creator included. */
  participantIds: readonly string[];
}

/** One conversation as a member's list shows it. */
export interface ConversationListRow {
  id: string;
  type: ConversationType;
  title: string | null;
  /** Messages from others after what the member has read. */
  unread: number;
  lastMessageId: string | null;
  /** The first 50 current participants. */
  participantIds: string[];
}

/** A user's place in a conversation they belong to. */
export interface MembershipRow {
  conversationId: string;
  type: ConversationType;
  lastReadSeq: number;
}

const MEMBERSHIPS = `SELECT q.ord, c.type, p.last_read_seq
  FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS q(conversation_id, user_id, ord)
  JOIN conversations c ON c.id = q.conversation_id AND c.deleted_at IS NULL
  JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = q.user_id AND p.left_at IS NULL`;

/** The direct conversation of this pair of users already exists (another request created it first). */
export class DirectConversationExistsError extends Error {
  constructor(readonly directKey: string) {
    super('The direct conversation already exists');
  }
}

/** `conversations` and `conversation_participants`: who talks with whom. */
@Injectable()
export class ConversationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inside the caller's transaction (the conversation's first data key goes with it). Returns the id. */
  async create(manager: EntityManager, conversation: NewConversation): Promise<string> {
    try {
      const [row]: { id: string }[] = await manager.query(
        `INSERT INTO conversations (type, title, direct_key, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
        [conversation.type, conversation.title, conversation.directKey, conversation.createdBy],
      );
      const id = (row as { id: string }).id;
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [id, conversation.participantIds]);
      return id;
    } catch (error) {
      if (conversation.directKey && isUniqueViolation(error)) {
        throw new DirectConversationExistsError(conversation.directKey);
      }
      throw error;
    }
  }

  async findDirect(directKey: string): Promise<Conversation | undefined> {
    const rows: { id: string; title: string | null; user_id: string }[] = await this.dataSource.query(
      `SELECT c.id, c.title, p.user_id FROM conversations c
       JOIN conversation_participants p ON p.conversation_id = c.id
       WHERE c.direct_key = $1 AND c.deleted_at IS NULL`,
      [directKey],
    );
    const first = rows[0];
    return first && { id: first.id, type: 'direct', title: first.title, participants: rows.map((r) => ({ userId: r.user_id })) };
  }

  /** Undefined when there is no such conversation or it was deleted. */
  async findType(id: string): Promise<ConversationType | undefined> {
    const [row]: { type: ConversationType }[] = await this.dataSource.query(`SELECT type FROM conversations WHERE id = $1 AND deleted_at IS NULL`, [id]);
    return row?.type;
  }

  /** The member's conversations, the one with the latest message first. */
  async listFor(userId: string): Promise<ConversationListRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.type, c.title,
         ARRAY(SELECT pp.user_id FROM conversation_participants pp
               WHERE pp.conversation_id = c.id AND pp.left_at IS NULL ORDER BY pp.joined_at LIMIT 50) AS "participantIds",
         (SELECT count(*)::int FROM messages m
            WHERE m.conversation_id = c.id AND m.seq > p.last_read_seq AND m.sender_id <> $1 AND m.deleted_at IS NULL) AS unread,
         lm.id AS "lastMessageId"
       FROM conversation_participants p
       JOIN conversations c ON c.id = p.conversation_id AND c.deleted_at IS NULL
       LEFT JOIN LATERAL (
         SELECT id, created_at FROM messages m WHERE m.conversation_id = c.id AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT 1
       ) lm ON true
       WHERE p.user_id = $1 AND p.left_at IS NULL
       ORDER BY COALESCE(lm.created_at, c.created_at) DESC`,
      [userId],
    );
  }

  /** A member who left comes back. Returns false when the user is already in. */
  async addParticipant(conversationId: string, userId: string): Promise<boolean> {
    // An INSERT answers its RETURNING rows: none when the user is already in (and has not left).
    const added: unknown[] = await this.dataSource.query(
      `INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = NULL, joined_at = now()
       WHERE conversation_participants.left_at IS NOT NULL
       RETURNING user_id`,
      [conversationId, userId],
    );
    return added.length > 0;
  }

  /**
   * Each lookup's membership (undefined: not a current participant, or the conversation is
   * deleted), in one prepared statement: the hot path's access check for many sends at once.
   */
  async memberships(lookups: readonly { userId: string; conversationId: string }[]): Promise<(MembershipRow | undefined)[]> {
    if (lookups.length === 0) return [];
    const rows = await preparedQuery<{ ord: string; type: ConversationType; last_read_seq: string }>(this.dataSource, MEMBERSHIPS, [
      lookups.map((l) => l.conversationId),
      lookups.map((l) => l.userId),
    ]);
    const byOrd = new Map(rows.map((row) => [Number(row.ord), row]));
    return lookups.map(({ conversationId }, i) => {
      const row = byOrd.get(i + 1);
      return row && { conversationId, type: row.type, lastReadSeq: Number(row.last_read_seq) };
    });
  }

  /** The conversations the user currently takes part in (not deleted). */
  async idsOf(userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT p.conversation_id AS id FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
       WHERE p.user_id = $1 AND p.left_at IS NULL AND c.deleted_at IS NULL`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  /** Its current participants. */
  async participantIds(conversationId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM conversation_participants WHERE conversation_id = $1 AND left_at IS NULL',
      [conversationId],
    );
    return rows.map((row) => row.user_id);
  }

  /** Adds participants in one statement inside the caller's transaction (a broadcast's chunk); ones already there stay as they are. */
  async addParticipants(manager: EntityManager, conversationId: string, userIds: readonly string[]): Promise<void> {
    await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
      conversationId,
      userIds,
    ]);
  }

  /** The user leaves (keeping when they first left, if they had). */
  async removeParticipant(conversationId: string, userId: string): Promise<void> {
    await this.dataSource.query(`UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`, [
      conversationId,
      userId,
    ]);
  }

  /** Conversation ids in id order after `cursor` (from the first when null): a walk over all of them. */
  async idsAfter(cursor: string | null, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM conversations WHERE ${idAfter('id', '$1')} ORDER BY id LIMIT $2`, [
      cursor,
      limit,
    ]);
    return rows.map((row) => row.id);
  }

  /** How many conversations there are, or how many up to and including `upTo` in id order. */
  async count(upTo?: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM conversations WHERE ${idUpTo('id', '$1')}`, [upTo ?? null]);
    return row?.n ?? 0;
  }
}
