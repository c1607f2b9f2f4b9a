import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLogRepository, BatchRepository, DeliveryRepository, MessageEntity, MessageRepository, uuidV7 } from '@mq/db';
import type { Message, UserRole } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, StagedJob, toMessageView } from '@mq/messaging';
import { JOB, jobIdFor, toJobPriority } from '@mq/queue-contracts';
import { API_CONFIG, ApiConfig } from '../api.config';
import { currentTraceparent, traced } from '@mq/tracing';
import { MembershipService } from '../conversations/membership.service';
import { MessageStoreWriter } from './message-store.writer';
import { SendMessageDto } from './messages.dto';
import { SendRateLimiter } from './send-rate.limiter';

export interface SendOutcome {
  message: Message;
  jobId: string;
  /** false when the clientMessageId matched an earlier send: the same message again. */
  created: boolean;
}

const LARGE_GROUP_CHUNK = 500;

/** A sendAt this close to now is treated as "now" (clock skew, not a schedule). */
const SCHEDULE_THRESHOLD_MS = 1_000;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

/**
 * Sending a message: membership and rate limit checked (each batched with the other sends of
 * the moment), the content encrypted, then stored with its recipients' delivery rows and its
 * job by the group commit (MessageStoreWriter). The same clientMessageId from the same sender
 * answers the first message, whatever the race. Large groups fan out through `batch-send`.
 */
@Injectable()
export class MessageSendService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly batches: BatchRepository,
    private readonly membership: MembershipService,
    private readonly crypto: MessageCrypto,
    private readonly outbox: OutboxPublisher,
    private readonly rateLimiter: SendRateLimiter,
    private readonly store: MessageStoreWriter,
    private readonly audit: AuditLogRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** `senderRole` is needed only to mark a message critical (CRITICAL_SENDER_ROLES); the group commit audits each critical one. */
  async send(senderId: string, input: SendMessageDto, senderRole?: UserRole): Promise<SendOutcome> {
    const critical = input.critical === true;
    if (critical && (senderRole === undefined || !this.config.criticalSenderRoles.includes(senderRole))) {
      const allowed = this.config.criticalSenderRoles.join(', ') || 'no role';
      throw new ForbiddenException(`Only ${allowed} may mark a message critical; send it without "critical" instead`);
    }
    const sendAt = this.scheduleTime(input.sendAt);
    const membership = await this.membership.require(senderId, input.conversationId);
    try {
      // Counted only for sends that could be accepted: a mistyped conversation id spends nothing.
      await this.rateLimiter.check(senderId);
    } catch (error) {
      // A retry of a message already accepted is answered, never refused.
      const earlier = input.clientMessageId ? await this.findByClientId(senderId, input.clientMessageId) : undefined;
      if (earlier) return earlier;
      throw error;
    }
    const messageId = uuidV7();
    const encrypted = await this.crypto.encrypt(input.conversationId, messageId, input.content);
    const message: MessageEntity = Object.assign(new MessageEntity(), {
      id: messageId,
      conversationId: input.conversationId,
      seq: null,
      senderId,
      clientMessageId: input.clientMessageId ?? null,
      ...encrypted,
      priority: input.priority ?? 'normal',
      critical,
      status: sendAt ? 'scheduled' : 'queued',
      sendAt,
      batchId: null,
      editedAt: null,
      deletedAt: null,
    });
    // A scheduled message keeps its delivery rows and goes out through one job at its time.
    // Tracing on: the store and publish are the message's "outbox" span, whose context its job carries on.
    const outcome = await traced('outbox publish send-message', { attributes: { 'mq.message.id': messageId } }, () =>
      this.store.store({ message, mayFanOut: membership.type === 'group' && !sendAt, traceparent: currentTraceparent() }),
    );
    switch (outcome.kind) {
      case 'stored':
        message.seq = outcome.seq;
        message.createdAt = outcome.createdAt;
        return { message: toMessageView(message, input.content), jobId: outcome.jobId, created: true };
      case 'fan-out': {
        const staged = await this.storeFanOut(message, outcome.recipients);
        await this.outbox.publish([staged]);
        return { message: toMessageView(message, input.content), jobId: staged.jobId, created: true };
      }
      case 'duplicate': {
        // Another send with the same clientMessageId committed first: answer its message.
        const earlier = input.clientMessageId ? await this.findByClientId(senderId, input.clientMessageId) : undefined;
        if (earlier) return earlier;
        throw new NotFoundException(`Conversation ${input.conversationId} not found`);
      }
      case 'gone':
        // The membership check passed, so the conversation was deleted in between.
        throw new NotFoundException(`Conversation ${input.conversationId} not found`);
    }
  }

  /** A large group: the message and its batch; the batch job writes the delivery rows chunk by chunk as it sends. */
  private async storeFanOut(message: MessageEntity, recipients: number): Promise<StagedJob> {
    return this.dataSource.transaction(async (manager) => {
      message.seq = await this.messages.nextSeq(manager, message.conversationId);
      message.createdAt = await this.messages.insert(manager, message);
      if (message.critical) {
        await this.audit.record(
          { actorId: message.senderId, action: 'message.critical', target: message.id, detail: { conversationId: message.conversationId } },
          manager,
        );
      }
      return this.stageFanOut(manager, message, recipients);
    });
  }

  /** A large group: the batch job writes the delivery rows chunk by chunk as it sends. */
  private async stageFanOut(manager: EntityManager, message: MessageEntity, total: number): Promise<StagedJob> {
    const batchId = randomUUID();
    await this.batches.createGroup(manager, {
      id: batchId,
      messageId: message.id,
      conversationId: message.conversationId,
      createdBy: message.senderId,
      total,
      chunkSize: LARGE_GROUP_CHUNK,
    });
    await this.messages.setBatch(manager, message.id, batchId);
    return this.outbox.stage(
      manager,
      JOB.BATCH_SEND,
      { batchId, chunkSize: LARGE_GROUP_CHUNK, chunkDelayMs: 0 },
      { priority: toJobPriority(message.priority) },
    );
  }

  private async findByClientId(senderId: string, clientMessageId: string): Promise<SendOutcome | undefined> {
    const message = await this.messages.findByClientId(senderId, clientMessageId);
    if (!message) return undefined;
    const content = await this.crypto.decrypt(message);
    // The job that carried it may have carried others too: its delivery rows name it.
    const deliveryJobId = await this.deliveries.jobOf(message.id);
    return {
      message: toMessageView(message, content),
      jobId: deliveryJobId ?? jobIdFor(JOB.SEND_MESSAGE, { messageIds: [message.id] }),
      created: false,
    };
  }

  private scheduleTime(sendAt: string | undefined): Date | null {
    if (!sendAt) return null;
    const at = new Date(sendAt);
    const ahead = at.getTime() - Date.now();
    if (ahead > MAX_SCHEDULE_AHEAD_MS) throw new BadRequestException('sendAt must be within a year');
    return ahead > SCHEDULE_THRESHOLD_MS ? at : null;
  }
}
