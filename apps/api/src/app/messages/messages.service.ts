import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { DataSource } from 'typeorm';
import { ConversationRepository, DeliveryRepository, MessageEntity, MessageRepository } from '@mq/db';
import { CONVERSATION_EXPORT_MAX } from '@mq/messaging-contracts';
import type { ConversationExport, Delivery, Message } from '@mq/messaging-contracts';
import { MessageCrypto, MessageSearchService, OutboxPublisher, RealtimeEmitter, toMessageView } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import type { SearchResults } from '@mq/messaging-contracts';
import { AuthenticatedUser } from '../auth/auth.types';
import { MembershipService } from '../conversations/membership.service';
import { AccessLedgerService, AccessOrigin } from '../ledger/access-ledger.service';
import { ReceiptsService } from './receipts.service';

/** Messages read per query while exporting a conversation. */
const EXPORT_PAGE = 500;

/** Reading, editing and deleting messages, always through the membership check. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly conversations: ConversationRepository,
    private readonly membership: MembershipService,
    private readonly crypto: MessageCrypto,
    private readonly receipts: ReceiptsService,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
    private readonly search: MessageSearchService,
    private readonly ledger: AccessLedgerService,
  ) {}

  /**
   * Catch-up: the messages after `afterSeq`, ascending, no gaps (deleted ones stay as
   * tombstones). What the caller fetches counts as delivered to them, and is in the access
   * ledger (`via` says whether over REST or a socket's sync) before it is answered.
   */
  async listAfter(
    userId: string,
    conversationId: string,
    afterSeq: number,
    limit: number,
    via: 'history' | 'socket-sync',
    origin: AccessOrigin,
  ): Promise<Message[]> {
    await this.membership.require(userId, conversationId);
    const page = await this.messages.pageAfter(conversationId, afterSeq, limit);
    const views = await Promise.all(page.map(async (m) => toMessageView(m, m.deletedAt ? '' : await this.crypto.decrypt(m))));
    await this.ledger.recordRead(userId, page, via, origin);
    const unconfirmed = await this.deliveries.unconfirmed(
      userId,
      page.map((m) => m.id),
    );
    await this.receipts.recordMany(userId, unconfirmed, 'delivered');
    return views;
  }

  /**
   * The whole conversation (its first CONVERSATION_EXPORT_MAX messages), oldest first, for a
   * member or an admin (who need not be one: an operator reading content, which the access
   * ledger records like any other read). Receipts are left alone: an export is not a delivery.
   */
  async exportConversation(user: AuthenticatedUser, conversationId: string, origin: AccessOrigin): Promise<ConversationExport> {
    if (user.role !== 'admin') await this.membership.require(user.id, conversationId);
    else if (!(await this.conversations.findType(conversationId))) throw new NotFoundException(`Conversation ${conversationId} not found`);
    const found: MessageEntity[] = [];
    let afterSeq = 0;
    while (found.length <= CONVERSATION_EXPORT_MAX) {
      const page = await this.messages.pageAfter(conversationId, afterSeq, EXPORT_PAGE);
      found.push(...page);
      const last = page[page.length - 1];
      if (page.length < EXPORT_PAGE || !last?.seq) break;
      afterSeq = last.seq;
    }
    const messages = found.slice(0, CONVERSATION_EXPORT_MAX);
    const views = await Promise.all(messages.map(async (m) => toMessageView(m, m.deletedAt ? '' : await this.crypto.decrypt(m))));
    await this.ledger.recordRead(user.id, messages, 'export', origin);
    return { conversationId, exportedAt: new Date().toISOString(), messages: views, truncated: found.length > CONVERSATION_EXPORT_MAX };
  }

  async edit(user: AuthenticatedUser, messageId: string, content: string, origin: AccessOrigin): Promise<Message> {
    const message = await this.loadVisible(user.id, messageId);
    if (message.senderId !== user.id) throw new ForbiddenException('Only the sender can edit a message');
    const editedAt = new Date();
    const [edited, reindex] = await this.dataSource.transaction(async (manager) => {
      const encrypted = await this.crypto.encrypt(message.conversationId, message.id, content, manager);
      const updated = await this.messages.replaceContent(manager, message.id, encrypted, editedAt);
      const job = await this.outbox.stage(manager, JOB.INDEX_MESSAGE, { messageIds: [message.id], operation: 'update', revision: editedAt.getTime() });
      return [updated, job] as const;
    });
    await this.outbox.publish([reindex]);
    // The sender sees their own words again: recorded with no subject, for completeness.
    await this.ledger.recordRead(user.id, [edited], 'message-edit', origin);
    const view = toMessageView(edited, content);
    if (edited.seq !== null) this.realtime.toUsers(await this.participantIds(edited.conversationId), SOCKET_EVENTS.MESSAGE_UPDATED, view);
    return view;
  }

  async delete(user: AuthenticatedUser, messageId: string): Promise<void> {
    const found = await this.messages.findOne(messageId);
    const message = found?.deletedAt === null ? found : undefined;
    const allowed = message && (message.senderId === user.id || user.role === 'admin');
    if (!message || !allowed) {
      if (message && (await this.isMember(user.id, message.conversationId))) throw new ForbiddenException('Only the sender or an admin can delete a message');
      throw new NotFoundException(`Message ${messageId} not found`);
    }
    // A scheduled message is cancelled for good: the send job finds it deleted and skips it.
    const unindex = await this.dataSource.transaction(async (manager) => {
      await this.messages.markDeleted(manager, message.id);
      return this.outbox.stage(manager, JOB.INDEX_MESSAGE, { messageIds: [message.id], operation: 'delete', revision: 0 });
    });
    await this.outbox.publish([unindex]);
    if (message.seq !== null) {
      this.realtime.toUsers(await this.participantIds(message.conversationId), SOCKET_EVENTS.MESSAGE_DELETED, {
        id: message.id,
        conversationId: message.conversationId,
      });
    }
  }

  /** Whole-word search over the caller's conversations (or one of them). */
  async searchMessages(userId: string, query: string, conversationId?: string): Promise<SearchResults> {
    let conversationIds: string[];
    if (conversationId) {
      await this.membership.require(userId, conversationId);
      conversationIds = [conversationId];
    } else {
      conversationIds = await this.conversations.idsOf(userId);
    }
    const hits = await this.search.search(conversationIds, query);
    return { results: hits.map((h) => ({ messageId: h.messageId, conversationId: h.conversationId, seq: h.seq, createdAt: h.createdAt.toISOString() })) };
  }

  async deliveriesOf(user: AuthenticatedUser, messageId: string): Promise<Delivery[]> {
    const message = await this.messages.findOne(messageId);
    if (!message || (message.senderId !== user.id && user.role !== 'admin')) {
      throw new NotFoundException(`Message ${messageId} not found`);
    }
    return this.deliveries.forMessage(messageId);
  }

  private async loadVisible(userId: string, messageId: string): Promise<MessageEntity> {
    const message = await this.messages.findOne(messageId);
    if (!message || message.deletedAt !== null || message.status === 'deleted' || !(await this.isMember(userId, message.conversationId)))
      throw new NotFoundException(`Message ${messageId} not found`);
    return message;
  }

  private async isMember(userId: string, conversationId: string): Promise<boolean> {
    return this.membership.require(userId, conversationId).then(
      () => true,
      () => false,
    );
  }

  private participantIds(conversationId: string): Promise<string[]> {
    return this.conversations.participantIds(conversationId);
  }
}
