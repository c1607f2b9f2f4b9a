import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, QueryFailedError, Repository } from 'typeorm';
import { MessageEntity, allocateMessageSeq } from '@mq/db';
import type { Message } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, StagedJob, toMessageView } from '@mq/messaging';
import { JOB, jobIdFor, toJobPriority } from '@mq/queue-contracts';
import { MembershipService } from '../conversations/membership.service';
import { SendMessageDto } from './messages.dto';
import { SendRateLimiter } from './send-rate.limiter';

export interface SendOutcome {
  message: Message;
  jobId: string;
  /** false when the clientMessageId matched an earlier send: the same message again. */
  created: boolean;
}

/** Above this many recipients a group message fans out through `batch-send` in chunks. */
export const LARGE_GROUP_RECIPIENTS = 500;
const LARGE_GROUP_CHUNK = 500;

/** A sendAt this close to now is treated as "now" (clock skew, not a schedule). */
const SCHEDULE_THRESHOLD_MS = 1_000;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

/**
 * Sending a message: one transaction takes the next seq, stores the content encrypted, the
 * recipients' delivery rows and the outbox job; after commit the job is published. The
 * same clientMessageId from the same sender answers the first message, whatever the race.
 */
@Injectable()
export class MessageSendService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly membership: MembershipService,
    private readonly crypto: MessageCrypto,
    private readonly outbox: OutboxPublisher,
    private readonly rateLimiter: SendRateLimiter,
  ) {}

  async send(senderId: string, input: SendMessageDto): Promise<SendOutcome> {
    if (input.clientMessageId) {
      const earlier = await this.findByClientId(senderId, input.clientMessageId);
      if (earlier) return earlier;
    }
    const sendAt = this.scheduleTime(input.sendAt);
    const membership = await this.membership.require(senderId, input.conversationId);
    // Counted only for sends that could be accepted: a mistyped conversation id spends nothing.
    await this.rateLimiter.check(senderId);

    const messageId = randomUUID();
    let staged;
    let stored: MessageEntity;
    try {
      [stored, staged] = await this.dataSource.transaction(async (manager) => {
        // Locks the conversation row: concurrent sends into it take seqs one after another.
        const seq = sendAt ? null : await allocateMessageSeq(manager, input.conversationId);
        const encrypted = await this.crypto.encrypt(input.conversationId, messageId, input.content, manager);
        const message = manager.create(MessageEntity, {
          id: messageId,
          conversationId: input.conversationId,
          seq,
          senderId,
          clientMessageId: input.clientMessageId ?? null,
          ...encrypted,
          priority: input.priority ?? 'normal',
          status: sendAt ? 'scheduled' : 'queued',
          sendAt,
        });
        // RETURNING the database's created_at: no second read of the row we just wrote.
        const inserted = await manager.createQueryBuilder().insert().into(MessageEntity).values(message).returning(['created_at']).execute();
        message.createdAt = (inserted.raw as { created_at: Date }[])[0]?.created_at ?? new Date();
        message.editedAt = null;
        message.deletedAt = null;
        const groupSize = membership.type === 'group' && !sendAt ? await this.recipientCount(manager, message) : 0;
        const job =
          groupSize > LARGE_GROUP_RECIPIENTS ? await this.stageFanOut(manager, message, groupSize) : await this.stageDirect(manager, message, sendAt);
        return [message, job] as const;
      });
    } catch (error) {
      // Another request with the same clientMessageId committed first: answer its message.
      if (input.clientMessageId && isUniqueViolation(error, 'uq_messages_sender_id_client_message_id')) {
        const earlier = await this.findByClientId(senderId, input.clientMessageId);
        if (earlier) return earlier;
      }
      throw error;
    }
    await this.outbox.publish([staged]);
    return { message: toMessageView(stored, input.content), jobId: staged.jobId, created: true };
  }

  private async stageDirect(manager: EntityManager, message: MessageEntity, sendAt: Date | null): Promise<StagedJob> {
    await this.insertDeliveries(manager, message);
    return this.outbox.stage(
      manager,
      JOB.SEND_MESSAGE,
      { messageId: message.id, conversationId: message.conversationId, senderId: message.senderId },
      { priority: toJobPriority(message.priority), availableAt: sendAt ?? undefined },
    );
  }

  /** A large group: the batch job writes the delivery rows chunk by chunk as it sends. */
  private async stageFanOut(manager: EntityManager, message: MessageEntity, total: number): Promise<StagedJob> {
    const batchId = randomUUID();
    await manager.query(
      `INSERT INTO batches (id, kind, message_id, conversation_id, created_by, total, status, chunk_size, chunk_delay_ms)
       VALUES ($1, 'group', $2, $3, $4, $5, 'queued', $6, 0)`,
      [batchId, message.id, message.conversationId, message.senderId, total, LARGE_GROUP_CHUNK],
    );
    await manager.update(MessageEntity, { id: message.id }, { batchId });
    return this.outbox.stage(manager, JOB.BATCH_SEND, { batchId, chunkSize: LARGE_GROUP_CHUNK, chunkDelayMs: 0 }, { priority: toJobPriority(message.priority) });
  }

  private async recipientCount(manager: EntityManager, message: MessageEntity): Promise<number> {
    const [{ n }] = (await manager.query(
      `SELECT count(*)::int AS n FROM conversation_participants WHERE conversation_id = $1 AND left_at IS NULL AND user_id <> $2`,
      [message.conversationId, message.senderId],
    )) as [{ n: number }];
    return n;
  }

  /** One delivery row per current participant except the sender, in one statement. */
  private async insertDeliveries(manager: EntityManager, message: MessageEntity): Promise<void> {
    await manager.query(
      `INSERT INTO message_deliveries (message_id, recipient_id, job_id)
       SELECT $1, p.user_id, $4 FROM conversation_participants p
       WHERE p.conversation_id = $2 AND p.left_at IS NULL AND p.user_id <> $3`,
      [message.id, message.conversationId, message.senderId, jobIdFor(JOB.SEND_MESSAGE, { messageId: message.id, conversationId: message.conversationId, senderId: message.senderId })],
    );
  }

  private async findByClientId(senderId: string, clientMessageId: string): Promise<SendOutcome | undefined> {
    const message = await this.messages.findOne({ where: { senderId, clientMessageId } });
    if (!message) return undefined;
    const content = await this.crypto.decrypt(message);
    return {
      message: toMessageView(message, content),
      jobId: jobIdFor(JOB.SEND_MESSAGE, { messageId: message.id, conversationId: message.conversationId, senderId }),
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

function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === constraint;
}
