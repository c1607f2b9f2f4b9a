import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, QueryFailedError, Repository } from 'typeorm';
import { MessageEntity, allocateMessageSeq, preparedQuery } from '@mq/db';
import type { Message } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, StagedJob, toMessageView } from '@mq/messaging';
import { JOB, jobIdFor, queueOfJob, toJobPriority } from '@mq/queue-contracts';
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
 * Sending a message: one statement takes the next seq, stores the content encrypted, the
 * recipients' delivery rows and the outbox job (a single statement is one transaction, in one
 * round trip); after it the job is published. The same clientMessageId from the same sender
 * answers the first message, whatever the race. Large groups fan out through `batch-send`.
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
    const messageId = randomUUID();
    const encrypted = await this.crypto.encrypt(input.conversationId, messageId, input.content);
    const message = this.messages.create({
      id: messageId,
      conversationId: input.conversationId,
      seq: null,
      senderId,
      clientMessageId: input.clientMessageId ?? null,
      ...encrypted,
      priority: input.priority ?? 'normal',
      status: sendAt ? 'scheduled' : 'queued',
      sendAt,
      batchId: null,
      editedAt: null,
      deletedAt: null,
    });
    let staged: StagedJob;
    try {
      // A scheduled message keeps its delivery rows and goes out through one job at its time.
      const mayFanOut = membership.type === 'group' && !sendAt;
      const stored = await this.storeWithDeliveries(message, mayFanOut);
      staged = 'jobId' in stored ? stored : await this.storeFanOut(message, stored.recipients);
    } catch (error) {
      // Another request with the same clientMessageId committed first: answer its message.
      if (input.clientMessageId && isUniqueViolation(error, 'uq_messages_sender_id_client_message_id')) {
        const earlier = await this.findByClientId(senderId, input.clientMessageId);
        if (earlier) return earlier;
      }
      throw error;
    }
    await this.outbox.publish([staged]);
    return { message: toMessageView(message, input.content), jobId: staged.jobId, created: true };
  }

  /**
   * The message, one delivery row per current participant but the sender, and its
   * `send-message` outbox row, in one statement. A scheduled message takes no seq yet (it
   * takes it when it goes out). With `mayFanOut`, writes nothing above LARGE_GROUP_RECIPIENTS
   * recipients and answers their count.
   */
  private async storeWithDeliveries(message: MessageEntity, mayFanOut: boolean): Promise<StagedJob | { recipients: number }> {
    const scheduled = message.sendAt !== null;
    const job = this.outbox.prepare(
      JOB.SEND_MESSAGE,
      { messageId: message.id, conversationId: message.conversationId, senderId: message.senderId },
      { priority: toJobPriority(message.priority), availableAt: message.sendAt ?? undefined },
    );
    const rows: { recipients: number; seq: string | null; created_at: Date | null; outbox_id: string | null; stored: boolean }[] =
      await preparedQuery(
        this.dataSource,
        `WITH recipients AS (
           SELECT p.user_id FROM conversation_participants p
           WHERE p.conversation_id = $2 AND p.left_at IS NULL AND p.user_id <> $3
         ), fits AS (
           SELECT count(*)::int AS n, (NOT $20::boolean OR count(*) <= $12) AS ok FROM recipients
         ), next_seq AS (
           -- Locks the conversation row: concurrent sends into it take seqs one after another.
           UPDATE conversations SET last_seq = last_seq + 1
           WHERE id = $2 AND deleted_at IS NULL AND NOT $13::boolean AND (SELECT ok FROM fits)
           RETURNING last_seq
         ), stored AS (
           INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, status, send_at)
           SELECT $1, $2, next_seq.last_seq, $3, $4, $5, $6, $7, $8, $9, $10, $11
           FROM fits LEFT JOIN next_seq ON true
           WHERE fits.ok AND ($13::boolean OR next_seq.last_seq IS NOT NULL)
           RETURNING seq, created_at
         ), deliveries AS (
           INSERT INTO message_deliveries (message_id, recipient_id, job_id)
           SELECT $1, r.user_id, $15 FROM recipients r, stored
         ), staged AS (
           INSERT INTO outbox (queue, job_name, job_id, payload, priority, available_at)
           SELECT $14, $16, $15, $17, $18, $19 FROM stored
           ON CONFLICT (job_id) DO NOTHING RETURNING id
         )
         SELECT fits.n AS recipients, stored.seq, stored.created_at, (SELECT id FROM staged) AS outbox_id, stored.created_at IS NOT NULL AS stored
         FROM fits LEFT JOIN stored ON true`,
        [
          message.id,
          message.conversationId,
          message.senderId,
          message.clientMessageId,
          message.ciphertext,
          message.iv,
          message.authTag,
          message.keyVersion,
          message.priority,
          message.status,
          message.sendAt,
          LARGE_GROUP_RECIPIENTS,
          scheduled,
          queueOfJob(JOB.SEND_MESSAGE),
          job.jobId,
          job.jobName,
          job.payload,
          job.priority,
          job.availableAt,
          mayFanOut,
        ],
      );
    const row = rows[0];
    if (!row || (!row.stored && !(mayFanOut && row.recipients > LARGE_GROUP_RECIPIENTS))) {
      // The membership check passed, so the conversation was deleted in between.
      throw new NotFoundException(`Conversation ${message.conversationId} not found`);
    }
    if (!row.stored) return { recipients: row.recipients };
    message.seq = row.seq === null ? null : Number(row.seq);
    message.createdAt = row.created_at ?? new Date();
    return { id: row.outbox_id ?? '', ...job };
  }

  /** A large group: the message and its batch; the batch job writes the delivery rows chunk by chunk as it sends. */
  private async storeFanOut(message: MessageEntity, recipients: number): Promise<StagedJob> {
    return this.dataSource.transaction(async (manager) => {
      message.seq = await allocateMessageSeq(manager, message.conversationId);
      const inserted = await manager.createQueryBuilder().insert().into(MessageEntity).values(message).returning(['created_at']).execute();
      message.createdAt = (inserted.raw as { created_at: Date }[])[0]?.created_at ?? new Date();
      return this.stageFanOut(manager, message, recipients);
    });
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
