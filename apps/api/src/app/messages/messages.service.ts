import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, MoreThan, Not, Repository } from 'typeorm';
import { MessageDeliveryEntity, MessageEntity } from '@mq/db';
import type { Delivery, Message } from '@mq/messaging-contracts';
import { MessageCrypto, MessageSearchService, OutboxPublisher, RealtimeEmitter, toMessageView } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import type { SearchResults } from '@mq/messaging-contracts';
import { AuthenticatedUser } from '../auth/auth.types';
import { MembershipService } from '../conversations/membership.service';
import { ReceiptsService } from './receipts.service';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** Reading, editing and deleting messages, always through the membership check. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(MessageDeliveryEntity) private readonly deliveries: Repository<MessageDeliveryEntity>,
    private readonly membership: MembershipService,
    private readonly crypto: MessageCrypto,
    private readonly receipts: ReceiptsService,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
    private readonly search: MessageSearchService,
  ) {}

  /**
   * Catch-up: the messages after `afterSeq`, ascending, no gaps (deleted ones stay as
   * tombstones). What the caller fetches counts as delivered to them.
   */
  async listAfter(userId: string, conversationId: string, afterSeq: number, limit: number): Promise<Message[]> {
    await this.membership.require(userId, conversationId);
    const page = await this.messages.find({
      where: { conversationId, seq: MoreThan(afterSeq) },
      order: { seq: 'ASC' },
      take: limit,
    });
    const views = await Promise.all(page.map(async (m) => toMessageView(m, m.deletedAt ? '' : await this.crypto.decrypt(m))));
    const unconfirmed = await this.deliveries.find({
      select: { messageId: true },
      where: { recipientId: userId, messageId: In(page.map((m) => m.id)), status: In(['queued', 'sent']) },
    });
    await this.receipts.recordMany(
      userId,
      unconfirmed.map((d) => d.messageId),
      'delivered',
    );
    return views;
  }

  async edit(user: AuthenticatedUser, messageId: string, content: string): Promise<Message> {
    const message = await this.loadVisible(user.id, messageId);
    if (message.senderId !== user.id) throw new ForbiddenException('Only the sender can edit a message');
    const editedAt = new Date();
    const [edited, reindex] = await this.dataSource.transaction(async (manager) => {
      const encrypted = await this.crypto.encrypt(message.conversationId, message.id, content, manager);
      await manager.update(MessageEntity, { id: message.id }, { ...encrypted, editedAt });
      const job = await this.outbox.stage(manager, JOB.INDEX_MESSAGE, { messageIds: [message.id], operation: 'update', revision: editedAt.getTime() });
      return [await manager.findOneOrFail(MessageEntity, { where: { id: message.id } }), job] as const;
    });
    await this.outbox.publish([reindex]);
    const view = toMessageView(edited, content);
    if (edited.seq !== null) this.realtime.toUsers(await this.participantIds(edited.conversationId), 'message:updated', view);
    return view;
  }

  async delete(user: AuthenticatedUser, messageId: string): Promise<void> {
    const message = await this.messages.findOne({ where: { id: messageId, deletedAt: IsNull() } });
    const allowed = message && (message.senderId === user.id || user.role === 'admin');
    if (!message || !allowed) {
      if (message && (await this.isMember(user.id, message.conversationId))) throw new ForbiddenException('Only the sender or an admin can delete a message');
      throw new NotFoundException(`Message ${messageId} not found`);
    }
    // A scheduled message is cancelled for good: the send job finds it deleted and skips it.
    const unindex = await this.dataSource.transaction(async (manager) => {
      await manager.update(MessageEntity, { id: message.id }, { deletedAt: new Date(), status: 'deleted' });
      return this.outbox.stage(manager, JOB.INDEX_MESSAGE, { messageIds: [message.id], operation: 'delete', revision: 0 });
    });
    await this.outbox.publish([unindex]);
    if (message.seq !== null) {
      this.realtime.toUsers(await this.participantIds(message.conversationId), 'message:deleted', {
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
      const rows: { conversation_id: string }[] = await this.dataSource.query(
        `SELECT p.conversation_id FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
         WHERE p.user_id = $1 AND p.left_at IS NULL AND c.deleted_at IS NULL`,
        [userId],
      );
      conversationIds = rows.map((r) => r.conversation_id);
    }
    const hits = await this.search.search(conversationIds, query);
    return { results: hits.map((h) => ({ messageId: h.messageId, conversationId: h.conversationId, seq: h.seq, createdAt: h.createdAt.toISOString() })) };
  }

  async deliveriesOf(user: AuthenticatedUser, messageId: string): Promise<Delivery[]> {
    const message = await this.messages.findOne({ where: { id: messageId } });
    if (!message || (message.senderId !== user.id && user.role !== 'admin')) {
      throw new NotFoundException(`Message ${messageId} not found`);
    }
    const rows = await this.deliveries.find({ where: { messageId }, order: { recipientId: 'ASC' } });
    return rows.map((d) => ({
      recipientId: d.recipientId,
      status: d.status,
      attempts: d.attempts,
      failureReason: d.failureReason,
      sentAt: iso(d.sentAt),
      deliveredAt: iso(d.deliveredAt),
      readAt: iso(d.readAt),
    }));
  }

  private async loadVisible(userId: string, messageId: string): Promise<MessageEntity> {
    const message = await this.messages.findOne({ where: { id: messageId, deletedAt: IsNull(), status: Not('deleted') } });
    if (!message || !(await this.isMember(userId, message.conversationId))) throw new NotFoundException(`Message ${messageId} not found`);
    return message;
  }

  private async isMember(userId: string, conversationId: string): Promise<boolean> {
    return this.membership.require(userId, conversationId).then(
      () => true,
      () => false,
    );
  }

  private async participantIds(conversationId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM conversation_participants WHERE conversation_id = $1 AND left_at IS NULL',
      [conversationId],
    );
    return rows.map((r) => r.user_id);
  }
}
