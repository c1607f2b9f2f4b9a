import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError, Repository } from 'typeorm';
import { ConversationEntity, MessageEntity, directConversationKey } from '@mq/db';
import type { Conversation, ConversationSummary } from '@mq/messaging-contracts';
import { ConversationKeyService, MessageCrypto, toMessageView } from '@mq/messaging';
import { AuthenticatedUser } from '../auth/auth.types';
import { CreateConversationDto } from './conversations.dto';
import { MembershipService } from './membership.service';

export interface CreatedConversation {
  conversation: Conversation;
  /** false when an existing direct conversation was returned. */
  created: boolean;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(ConversationEntity) private readonly conversations: Repository<ConversationEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly keys: ConversationKeyService,
    private readonly crypto: MessageCrypto,
    private readonly membership: MembershipService,
  ) {}

  async create(caller: AuthenticatedUser, input: CreateConversationDto): Promise<CreatedConversation> {
    const others = [...new Set(input.participantIds.filter((id) => id !== caller.id))];
    if (input.type === 'direct' && others.length !== 1) {
      throw new BadRequestException('A direct conversation is between you and exactly one other user');
    }
    if (input.type === 'group' && others.length === 0) {
      throw new BadRequestException('A group needs at least one participant besides you');
    }
    await this.requireActiveUsers(others);
    const directKey = input.type === 'direct' ? directConversationKey(caller.id, others[0] as string) : null;
    if (directKey) {
      const existing = await this.findDirect(directKey);
      if (existing) return { conversation: existing, created: false };
    }
    const participants = [caller.id, ...others];
    try {
      const id = await this.dataSource.transaction(async (manager) => {
        const rows: { id: string }[] = await manager.query(
          `INSERT INTO conversations (type, title, direct_key, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
          [input.type, input.title ?? null, directKey, caller.id],
        );
        const conversationId = (rows[0] as { id: string }).id;
        await manager.query(
          `INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`,
          [conversationId, participants],
        );
        await this.keys.createKey(manager, conversationId);
        return conversationId;
      });
      return {
        conversation: { id, type: input.type, title: input.title ?? null, participants: participants.map((userId) => ({ userId })) },
        created: true,
      };
    } catch (error) {
      // Both users opened the same direct conversation at once: the other insert won.
      if (directKey && error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        const existing = await this.findDirect(directKey);
        if (existing) return { conversation: existing, created: false };
      }
      throw error;
    }
  }

  async list(userId: string): Promise<ConversationSummary[]> {
    const rows: { id: string; type: ConversationSummary['type']; title: string | null; unread: number; last_message_id: string | null; participants: string[] }[] =
      await this.dataSource.query(
        `SELECT c.id, c.type, c.title,
           ARRAY(SELECT pp.user_id FROM conversation_participants pp
                 WHERE pp.conversation_id = c.id AND pp.left_at IS NULL ORDER BY pp.joined_at LIMIT 50) AS participants,
           (SELECT count(*)::int FROM messages m
              WHERE m.conversation_id = c.id AND m.seq > p.last_read_seq AND m.sender_id <> $1 AND m.deleted_at IS NULL) AS unread,
           lm.id AS last_message_id
         FROM conversation_participants p
         JOIN conversations c ON c.id = p.conversation_id AND c.deleted_at IS NULL
         LEFT JOIN LATERAL (
           SELECT id, created_at FROM messages m WHERE m.conversation_id = c.id AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT 1
         ) lm ON true
         WHERE p.user_id = $1 AND p.left_at IS NULL
         ORDER BY COALESCE(lm.created_at, c.created_at) DESC`,
        [userId],
      );
    const ids = rows.map((r) => r.last_message_id).filter((id): id is string => id !== null);
    const lastMessages = new Map((await this.messages.findBy({ id: In(ids) })).map((m) => [m.id, m]));
    return Promise.all(
      rows.map(async (row) => {
        const last = row.last_message_id ? lastMessages.get(row.last_message_id) : undefined;
        return {
          id: row.id,
          type: row.type,
          title: row.title,
          lastMessage: last ? toMessageView(last, last.deletedAt ? '' : await this.crypto.decrypt(last)) : null,
          unreadCount: row.unread,
          // Additive to the contract: who is in it (the first 50), so a client can name a direct chat.
          participants: row.participants.map((userId) => ({ userId })),
        } as ConversationSummary;
      }),
    );
  }

  /** Adds a member to a group (any member may; an admin always may). */
  async addParticipant(caller: AuthenticatedUser, conversationId: string, userId: string): Promise<void> {
    const conversation = await this.conversations.findOne({ where: { id: conversationId } });
    if (!conversation || conversation.deletedAt) throw new NotFoundException(`Conversation ${conversationId} not found`);
    if (caller.role !== 'admin') await this.membership.require(caller.id, conversationId);
    if (conversation.type !== 'group') throw new BadRequestException('Only group conversations take new participants');
    await this.requireActiveUsers([userId]);
    // An INSERT answers its RETURNING rows: none when the user is already in (and has not left).
    const added = (await this.dataSource.query(
      `INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = NULL, joined_at = now()
       WHERE conversation_participants.left_at IS NOT NULL
       RETURNING user_id`,
      [conversationId, userId],
    )) as unknown[];
    if (added.length === 0) throw new ConflictException(`User ${userId} is already in the conversation`);
  }

  /** Removes a member (themselves, or anyone for an admin): they get nothing sent after this. */
  async removeParticipant(caller: AuthenticatedUser, conversationId: string, userId: string): Promise<void> {
    if (caller.id !== userId && caller.role !== 'admin') {
      await this.membership.require(caller.id, conversationId);
      throw new ForbiddenException('Only the participant themselves or an admin can remove a participant');
    }
    // An INSERT answers its RETURNING rows: none when the user is already in (and has not left).
    const added = (await this.dataSource.query(
      `UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`,
      [conversationId, userId],
    )) as unknown[];
    if (added.length === 0) throw new NotFoundException(`User ${userId} is not in conversation ${conversationId}`);
  }

  private async findDirect(directKey: string): Promise<Conversation | undefined> {
    const rows: { id: string; title: string | null; user_id: string }[] = await this.dataSource.query(
      `SELECT c.id, c.title, p.user_id FROM conversations c
       JOIN conversation_participants p ON p.conversation_id = c.id
       WHERE c.direct_key = $1 AND c.deleted_at IS NULL`,
      [directKey],
    );
    const first = rows[0];
    if (!first) return undefined;
    return { id: first.id, type: 'direct', title: first.title, participants: rows.map((r) => ({ userId: r.user_id })) };
  }

  private async requireActiveUsers(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows: { id: string }[] = await this.dataSource.query('SELECT id FROM users WHERE id = ANY($1::uuid[]) AND active', [ids]);
    const found = new Set(rows.map((r) => r.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundException(`Unknown or inactive user(s): ${missing.join(', ')}`);
  }
}
