import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { MessageEntity, allocateMessageSeq, loadMessage, preparedQuery } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, RealtimeEmitter, SqlStatement, StageEntry, StagedJob, toMessageView } from '@mq/messaging';
import { JOB, NOTIFICATION_CHANNELS, QUEUE, QUEUE_POLICY, jobIdFor, queueOfJob } from '@mq/queue-contracts';
import { HandledJob, JobHandler, QueueRegistry } from '@mq/queue';
import { NotificationRouter } from '../notifications/notification.router';

export interface SendResult {
  outcome: 'sent' | 'skipped';
  reason?: string;
  delivered: number;
}

export interface ConfirmationResult {
  outcome: 'recorded' | 'unchanged';
}

/** Why a queued delivery cannot go out now; the job fails with it and retries. */
interface Undeliverable {
  recipientId: string;
  reason: string;
}

const STATUS_RANK: Record<string, number> = { failed: 0, queued: 0, sent: 1, delivered: 2, read: 3 };

/** `message-delivery`: sending a message to its recipients, and recording their receipts. */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: MessageCrypto,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
    private readonly router: NotificationRouter,
    private readonly queues: QueueRegistry,
  ) {}

  /**
   * Emits `message:new` to every recipient still in the conversation and marks them sent, in
   * one transaction holding the delivery rows: a retry (or a duplicate job) only sends to
   * recipients still queued. A crash before commit re-emits on retry; clients dedupe by id.
   * Recipients who left or were deactivated fail the job (it retries, then dead-letters),
   * so an operator sees it and a retry after the cause is fixed delivers exactly once.
   */
  @JobHandler(JOB.SEND_MESSAGE)
  async sendMessage(job: HandledJob<'send-message'>): Promise<SendResult> {
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? QUEUE_POLICY[queueOfJob(JOB.SEND_MESSAGE)].attempts);
    const chained: StagedJob[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const message = await loadMessage(manager, job.data.messageId, { forUpdate: true });
      if (!message) return { outcome: 'skipped' as const, reason: 'message not found', delivered: 0, undeliverable: [] };
      if (message.deletedAt) return { outcome: 'skipped' as const, reason: 'message deleted', delivered: 0, undeliverable: [] };
      // Follow-up work rides in this transaction's outbox: it exists exactly when the send did.
      const followUps: StageEntry[] = [
        { name: JOB.INDEX_MESSAGE, payload: { messageId: message.id, conversationId: message.conversationId, operation: 'index', revision: 0 } },
      ];
      if (message.seq === null) {
        // A scheduled message takes its place in the conversation now, as it goes out.
        message.seq = await allocateMessageSeq(manager, message.conversationId);
        await manager.update(MessageEntity, { id: message.id }, { seq: message.seq, status: 'queued' });
      }
      const { deliverable, undeliverable, preferences } = await this.queuedRecipients(manager, message.id);
      if (deliverable.length > 0) {
        const content = await this.crypto.decrypt(message, manager);
        this.realtime.toUsers(deliverable, 'message:new', toMessageView({ ...message, status: 'sent' }, content));
        followUps.push(...(await this.router.plan(message, deliverable, preferences)));
      }
      const status = undeliverable.length === 0 ? 'sent' : finalAttempt ? 'failed' : 'queued';
      // The recipients' new states, the message's and the follow-up jobs: one statement.
      chained.push(...(await this.outbox.stageAll(manager, followUps, this.recordAttempt(message.id, deliverable, undeliverable, finalAttempt, status))));
      return { outcome: 'sent' as const, delivered: deliverable.length, undeliverable };
    });
    await this.outbox.publish(chained);
    if (result.undeliverable.length > 0) {
      const first = result.undeliverable[0] as Undeliverable;
      throw new Error(
        `${result.undeliverable.length} recipient(s) could not be sent to: ${first.reason} (${first.recipientId})` +
          (result.delivered > 0 ? `; ${result.delivered} other(s) were sent to` : ''),
      );
    }
    return { outcome: result.outcome, reason: 'reason' in result ? result.reason : undefined, delivered: result.delivered };
  }

  /** The delivery rows after one attempt: sent to the deliverable, a reason (and on the last attempt `failed`) for the rest. */
  private recordAttempt(messageId: string, deliverable: string[], undeliverable: Undeliverable[], finalAttempt: boolean, status: string): SqlStatement[] {
    const statements: SqlStatement[] = [{ sql: 'UPDATE messages SET status = $2 WHERE id = $1 AND status IS DISTINCT FROM $2', params: [messageId, status] }];
    if (deliverable.length > 0) {
      statements.push({
        sql: `UPDATE message_deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1, failure_reason = NULL, updated_at = now()
              WHERE message_id = $1 AND recipient_id = ANY($2::uuid[])`,
        params: [messageId, deliverable],
      });
    }
    if (undeliverable.length > 0) {
      statements.push({
        sql: `UPDATE message_deliveries d SET attempts = d.attempts + 1, failure_reason = f.reason, updated_at = now(),
                status = CASE WHEN $4::boolean THEN 'failed' ELSE d.status END,
                failed_at = CASE WHEN $4::boolean THEN now() ELSE d.failed_at END
              FROM unnest($2::uuid[], $3::text[]) AS f(recipient_id, reason)
              WHERE d.message_id = $1 AND d.recipient_id = f.recipient_id`,
        params: [messageId, undeliverable.map((u) => u.recipientId), undeliverable.map((u) => u.reason), finalAttempt],
      });
    }
    return statements;
  }

  /**
   * Records a recipient's receipt, only ever moving forward (queued/sent -> delivered -> read),
   * tells the sender, and moves the reader's read position. Running it twice changes nothing.
   */
  @JobHandler(JOB.DELIVERY_CONFIRMATION)
  async deliveryConfirmation(job: HandledJob<'delivery-confirmation'>): Promise<ConfirmationResult> {
    const { messageId, recipientId, status, at } = job.data;
    const applicable = Object.entries(STATUS_RANK)
      .filter(([, rank]) => rank < (STATUS_RANK[status] ?? 0))
      .map(([name]) => name);
    // One statement (so one transaction): the receipt, and for `read` the reader's position.
    const rows = await preparedQuery<{ sender_id: string }>(
      this.dataSource,
      `WITH updated AS (
         UPDATE message_deliveries d SET status = $3, updated_at = now(),
           delivered_at = COALESCE(d.delivered_at, $4::timestamptz),
           read_at = CASE WHEN $3 = 'read' THEN COALESCE(d.read_at, $4::timestamptz) ELSE d.read_at END,
           failure_reason = NULL, failed_at = NULL
         FROM messages m
         WHERE d.message_id = $1 AND d.recipient_id = $2 AND d.status = ANY($5::text[]) AND m.id = d.message_id
         RETURNING m.sender_id, m.conversation_id, m.seq
       ), read_position AS (
         UPDATE conversation_participants p SET last_read_seq = GREATEST(p.last_read_seq, u.seq)
         FROM updated u
         WHERE $3 = 'read' AND u.seq IS NOT NULL AND p.conversation_id = u.conversation_id AND p.user_id = $2
       )
       SELECT sender_id FROM updated`,
      [messageId, recipientId, status, at, applicable],
    );
    const row = rows[0];
    if (!row) return { outcome: 'unchanged' };
    this.realtime.toUsers([row.sender_id], 'message:status', { messageId, recipientId, status, at });
    if (status === 'read') await this.cancelReminders(messageId, recipientId);
    return { outcome: 'recorded' };
  }

  /** A read message needs no reminder: drop the ones still waiting (the processor re-checks anyway). */
  private async cancelReminders(messageId: string, recipientId: string): Promise<void> {
    const queue = this.queues.get(QUEUE.NOTIFICATION);
    for (const channel of NOTIFICATION_CHANNELS) {
      const job = await queue.getJob(jobIdFor(JOB.SEND_NOTIFICATION, { messageId, recipientId, channel, reason: 'unread' }));
      if (job && (await job.isDelayed())) await job.remove().catch(() => undefined);
    }
  }

  /** Recipients still to send to (locked), why the others cannot be, and their notification preferences. */
  private async queuedRecipients(
    manager: EntityManager,
    messageId: string,
  ): Promise<{ deliverable: string[]; undeliverable: Undeliverable[]; preferences: Map<string, NotificationPreferences> }> {
    const rows = await preparedQuery<{
      recipient_id: string;
      member: boolean;
      active: boolean;
      channels: NotificationPreferences['channels'] | null;
      quiet_hours: NotificationPreferences['quietHours'];
    }>(
      manager,
      `SELECT d.recipient_id, (p.user_id IS NOT NULL AND p.left_at IS NULL) AS member, u.active, np.channels, np.quiet_hours
         FROM message_deliveries d
         JOIN messages m ON m.id = d.message_id
         JOIN users u ON u.id = d.recipient_id
         LEFT JOIN conversation_participants p ON p.conversation_id = m.conversation_id AND p.user_id = d.recipient_id
         LEFT JOIN notification_preferences np ON np.user_id = d.recipient_id
         WHERE d.message_id = $1 AND d.status IN ('queued', 'failed')
         FOR UPDATE OF d`,
        [messageId],
      );
    const deliverable: string[] = [];
    const undeliverable: Undeliverable[] = [];
    const preferences = new Map<string, NotificationPreferences>();
    for (const row of rows) {
      if (!row.member) undeliverable.push({ recipientId: row.recipient_id, reason: 'recipient is no longer a participant of the conversation' });
      else if (!row.active) undeliverable.push({ recipientId: row.recipient_id, reason: 'recipient account is inactive' });
      else deliverable.push(row.recipient_id);
      if (row.channels) preferences.set(row.recipient_id, { channels: row.channels, quietHours: row.quiet_hours });
    }
    return { deliverable, undeliverable, preferences };
  }
}
