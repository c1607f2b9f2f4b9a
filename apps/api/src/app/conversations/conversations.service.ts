import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConversationRepository, DirectConversationExistsError, MessageRepository, UserRepository, directConversationKey } from '@mq/db';
import type { Conversation, ConversationSummary } from '@mq/messaging-contracts';
import { ConversationKeyService, MessageCrypto, toMessageView } from '@mq/messaging';
import { AuthenticatedUser } from '../auth/auth.types';
import { AccessLedgerService, AccessOrigin } from '../ledger/access-ledger.service';
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
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly users: UserRepository,
    private readonly keys: ConversationKeyService,
    private readonly crypto: MessageCrypto,
    private readonly membership: MembershipService,
    private readonly ledger: AccessLedgerService,
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
      const existing = await this.conversations.findDirect(directKey);
      if (existing) return { conversation: existing, created: false };
    }
    const participants = [caller.id, ...others];
    try {
      const id = await this.dataSource.transaction(async (manager) => {
        const conversationId = await this.conversations.create(manager, {
          type: input.type,
          title: input.title ?? null,
          directKey,
          createdBy: caller.id,
          participantIds: participants,
        });
        await this.keys.createKey(manager, conversationId);
        return conversationId;
      });
      return {
        conversation: { id, type: input.type, title: input.title ?? null, participants: participants.map((userId) => ({ userId })) },
        created: true,
      };
    } catch (error) {
      // Both users opened the same direct conversation at once: the other insert won.
      if (error instanceof DirectConversationExistsError) {
        const existing = await this.conversations.findDirect(error.directKey);
        if (existing) return { conversation: existing, created: false };
      }
      throw error;
    }
  }

  /** Each conversation with its last message: content, so the list is in the access ledger too. */
  async list(userId: string, origin: AccessOrigin): Promise<ConversationSummary[]> {
    const rows = await this.conversations.listFor(userId);
    const ids = rows.map((r) => r.lastMessageId).filter((id): id is string => id !== null);
    const found = await this.messages.findByIds(ids);
    await this.ledger.recordRead(userId, found, 'conversation-list', origin);
    const lastMessages = new Map(found.map((m) => [m.id, m]));
    return Promise.all(
      rows.map(async (row) => {
        const last = row.lastMessageId ? lastMessages.get(row.lastMessageId) : undefined;
        return {
          id: row.id,
          type: row.type,
          title: row.title,
          lastMessage: last ? toMessageView(last, last.deletedAt ? '' : await this.crypto.decrypt(last)) : null,
          unreadCount: row.unread,
          // Additive to the contract: who is in it (the first 50), so a client can name a direct chat.
          participants: row.participantIds.map((userId) => ({ userId })),
        } as ConversationSummary;
      }),
    );
  }

  /** Adds a member to a group (any member may; an admin always may). */
  async addParticipant(caller: AuthenticatedUser, conversationId: string, userId: string): Promise<void> {
    const type = await this.conversations.findType(conversationId);
    if (!type) throw new NotFoundException(`Conversation ${conversationId} not found`);
    if (caller.role !== 'admin') await this.membership.require(caller.id, conversationId);
    if (type !== 'group') throw new BadRequestException('Only group conversations take new participants');
    await this.requireActiveUsers([userId]);
    const added = await this.conversations.addParticipant(conversationId, userId);
    if (!added) throw new ConflictException(`User ${userId} is already in the conversation`);
  }

  /**
   * Removes a member (themselves, or anyone for an admin): they get nothing sent after this.
   * Idempotent, as the contract's 204 is: removing someone not in it changes nothing.
   */
  async removeParticipant(caller: AuthenticatedUser, conversationId: string, userId: string): Promise<void> {
    if (caller.id !== userId && caller.role !== 'admin') {
      await this.membership.require(caller.id, conversationId);
      throw new ForbiddenException('Only the participant themselves or an admin can remove a participant');
    }
    await this.conversations.removeParticipant(conversationId, userId);
  }

  private async requireActiveUsers(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set(await this.users.activeIds(ids));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundException(`Unknown or inactive user(s): ${missing.join(', ')}`);
  }
}
