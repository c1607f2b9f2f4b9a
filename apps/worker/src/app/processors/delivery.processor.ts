import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { MESSAGE_COLUMNS, MessageEntity, MessageRow, allocateMessageSeq, messageFromRow, preparedQuery } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { MessageCrypto, MessageSearchService, OutboxPublisher, RealtimeEmitter, SqlStatement, StageEntry, StagedJob, toMessageView } from '@mq/messaging';
import { ConfirmationStatus, JOB, QUEUE_POLICY, Receipt, jobIdFor, queueOfJob, toJobPriority } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';
import { NotificationRouter } from '../notifications/notification.router';

export interface SendResult {
  /** Messages that went out to every recipient they could be sent to now. */
  sent: number;
  /** Messages gone or deleted before they went out. */
  skipped: number;
  /** Recipients emitted to. */
  delivered: number;
  /** Messages of a larger batch handed to a job of their own: a recipient could not be sent to, or the message could not be read. */
  splitOut: string[];
}

export interface ConfirmationResult {
  /** Receipts that moved a delivery forward; the rest were already recorded (or name no delivery). */
  recorded: number;
  unchanged: number;
}

/** Why a queued delivery cannot go out now; the job fails with it and retries. */
interface Undeliverable {
  recipientId: string;
  reason: string;
}

interface QueuedRecipients {
  deliverable: string[];
  undeliverable: Undeliverable[];
}

const NONE_QUEUED: QueuedRecipients = { deliverable: [], undeliverable: [] };

const STATUS_RANK: Readonly<Record<ConfirmationStatus, number>> = { delivered: 2, read: 3 };

/** `message-delivery`: sending messages to their recipients, and recording their receipts. */
@Injectable()
export class DeliveryProcessor {
  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: MessageCrypto,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
    private readonly router: NotificationRouter,
    private readonly search: MessageSearchService,
  ) {}

  /**
   * Emits `message:new` for each message to every recipient still in its conversation and marks
   * them sent, in one transaction holding the messages and their delivery rows: a retry (or a
   * duplicate job) only sends to recipients still queued. A crash before commit re-emits on
   * retry; clients dedupe by id.
   *
   * A job of one message fails when a recipient left or was deactivated (it retries, then
   * dead-letters), so an operator sees it and a retry after the cause is fixed delivers exactly
   * once. In a job of many, such a message (or one that cannot be read) still goes to everyone
   * it can reach, and is handed to a job of its own for the rest: one bad message never holds
   * up or fails the others.
   */
  @JobHandler(JOB.SEND_MESSAGE)
  async sendMessage(job: HandledJob<'send-message'>): Promise<SendResult> {
    const ids = job.data.messageIds;
    const alone = ids.length === 1;
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? QUEUE_POLICY[queueOfJob(JOB.SEND_MESSAGE)].attempts);
    const chained: StagedJob[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const { messages: found, recipients, preferences } = await this.claim(manager, ids);
      const live = ids.map((id) => found.get(id)).filter((m): m is MessageEntity => m !== undefined && m.deletedAt === null);
      for (const message of live) {
        if (message.seq !== null) continue;
        // A scheduled message takes its place in the conversation now, as it goes out.
        message.seq = await allocateMessageSeq(manager, message.conversationId);
        await manager.update(MessageEntity, { id: message.id }, { seq: message.seq, status: 'queued' });
      }
      const sent: { message: MessageEntity; deliverable: string[]; undeliverable: Undeliverable[] }[] = [];
      const readable: { message: MessageEntity; content: string }[] = [];
      // Handed to a job of their own, with the recipients that job now carries.
      const splitOut: { message: MessageEntity; recipientIds: string[] }[] = [];
      for (const message of live) {
        const { deliverable, undeliverable } = recipients.get(message.id) ?? NONE_QUEUED;
        let content: string;
        try {
          content = await this.crypto.decrypt(message, manager);
        } catch (error) {
          if (alone) throw error;
          splitOut.push({ message, recipientIds: [...deliverable, ...undeliverable.map((u) => u.recipientId)] });
          continue;
        }
        if (deliverable.length > 0) this.realtime.toUsers(deliverable, 'message:new', toMessageView({ ...message, status: 'sent' }, content));
        if (!alone && undeliverable.length > 0) splitOut.push({ message, recipientIds: undeliverable.map((u) => u.recipientId) });
        readable.push({ message, content });
        sent.push({ message, deliverable, undeliverable: alone ? undeliverable : [] });
      }
      // Follow-up work rides in this transaction's outbox: it exists exactly when the sends did.
      const followUps: StageEntry[] = [
        ...(await this.router.plan(
          sent.map((s) => ({ message: s.message, recipientIds: s.deliverable })),
          preferences,
        )),
        ...splitOut.map(({ message }) => ({
          name: JOB.SEND_MESSAGE,
          payload: { messageIds: [message.id] },
          options: { priority: toJobPriority(message.priority) },
        })),
      ];
      // The recipients' new states, the messages', their search terms (the content is at hand and
      // the rows locked: no separate index job), who carries the split ones, the follow-up jobs: one statement.
      const split = new Set(splitOut.map((s) => s.message.id));
      const statements = this.recordAttempt(sent, split, finalAttempt);
      const index = await this.search.indexNew(readable);
      if (index) statements.push(index);
      if (splitOut.length > 0) statements.push(reassignDeliveries(splitOut));
      chained.push(...(await this.outbox.stageAll(manager, followUps, statements)));
      return {
        sent: sent.filter((s) => s.undeliverable.length === 0 && !split.has(s.message.id)).length,
        skipped: ids.length - live.length,
        delivered: sent.reduce((sum, s) => sum + s.deliverable.length, 0),
        splitOut: splitOut.map((s) => s.message.id),
        failed: sent.find((s) => s.undeliverable.length > 0),
      };
    });
    await this.outbox.publish(chained);
    this.router.remember(chained);
    const { failed, ...summary } = result;
    if (failed) {
      const [first] = failed.undeliverable as [Undeliverable];
      throw new Error(
        `${failed.undeliverable.length} recipient(s) could not be sent to: ${first.reason} (${first.recipientId})` +
          (failed.deliverable.length > 0 ? `; ${failed.deliverable.length} other(s) were sent to` : ''),
      );
    }
    return summary;
  }

  /**
   * The rows after one attempt: sent to the deliverable; for the undeliverable (a job of one
   * message only) a reason, and on the last attempt `failed`; each message's status (still
   * `queued` while a split-out job has recipients of it left).
   */
  private recordAttempt(
    sent: readonly { message: MessageEntity; deliverable: string[]; undeliverable: Undeliverable[] }[],
    splitOut: ReadonlySet<string>,
    finalAttempt: boolean,
  ): SqlStatement[] {
    if (sent.length === 0) return [];
    const status = (s: (typeof sent)[number]) =>
      s.undeliverable.length > 0 ? (finalAttempt ? 'failed' : 'queued') : splitOut.has(s.message.id) ? 'queued' : 'sent';
    const statements: SqlStatement[] = [
      {
        sql: `UPDATE messages m SET status = s.status FROM unnest($1::uuid[], $2::text[]) AS s(id, status)
              WHERE m.id = s.id AND m.status IS DISTINCT FROM s.status`,
        params: [sent.map((s) => s.message.id), sent.map(status)],
      },
    ];
    const pairs = sent.flatMap((s) => s.deliverable.map((recipientId) => [s.message.id, recipientId] as const));
    if (pairs.length > 0) {
      statements.push({
        sql: `UPDATE message_deliveries d SET status = 'sent', sent_at = now(), attempts = d.attempts + 1, failure_reason = NULL, updated_at = now()
              FROM unnest($1::uuid[], $2::uuid[]) AS s(message_id, recipient_id)
              -- A receipt may already have moved it on (the client acks as soon as the emit arrives): never back.
              WHERE d.message_id = s.message_id AND d.recipient_id = s.recipient_id AND d.status IN ('queued', 'failed')`,
        params: [pairs.map(([messageId]) => messageId), pairs.map(([, recipientId]) => recipientId)],
      });
    }
    const failing = sent.flatMap((s) => s.undeliverable.map((u) => ({ messageId: s.message.id, ...u })));
    if (failing.length > 0) {
      statements.push({
        sql: `UPDATE message_deliveries d SET attempts = d.attempts + 1, failure_reason = f.reason, updated_at = now(),
                status = CASE WHEN $4::boolean THEN 'failed' ELSE d.status END,
                failed_at = CASE WHEN $4::boolean THEN now() ELSE d.failed_at END
              FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS f(message_id, recipient_id, reason)
              WHERE d.message_id = f.message_id AND d.recipient_id = f.recipient_id`,
        params: [failing.map((f) => f.messageId), failing.map((f) => f.recipientId), failing.map((f) => f.reason), finalAttempt],
      });
    }
    return statements;
  }

  /**
   * Records recipients' receipts, each only ever moving its delivery forward (queued/sent ->
   * delivered -> read), tells the senders, and moves the readers' read positions: one
   * statement for the whole batch. Running it twice changes nothing.
   */
  @JobHandler(JOB.DELIVERY_CONFIRMATION)
  async deliveryConfirmation(job: HandledJob<'delivery-confirmation'>): Promise<ConfirmationResult> {
    const merged = mergeReceipts(job.data.receipts);
    const rows = await preparedQuery<{ message_id: string; recipient_id: string; sender_id: string }>(
      this.dataSource,
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::timestamptz[])
           AS r(message_id, recipient_id, rank, delivered_at, read_at)
       ), updated AS (
         UPDATE message_deliveries d SET status = CASE WHEN r.rank = 3 THEN 'read' ELSE 'delivered' END, updated_at = now(),
           sent_at = COALESCE(d.sent_at, r.delivered_at, r.read_at),
           delivered_at = COALESCE(d.delivered_at, r.delivered_at, r.read_at),
           read_at = COALESCE(d.read_at, r.read_at),
           failure_reason = NULL, failed_at = NULL
         FROM input r, messages m
         WHERE d.message_id = r.message_id AND d.recipient_id = r.recipient_id AND m.id = d.message_id
           AND (CASE d.status WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END) < r.rank
         RETURNING d.message_id, d.recipient_id, d.status, m.sender_id, m.conversation_id, m.seq
       ), read_position AS (
         UPDATE conversation_participants p SET last_read_seq = GREATEST(p.last_read_seq, u.seq)
         FROM (SELECT conversation_id, recipient_id, max(seq) AS seq FROM updated WHERE status = 'read' AND seq IS NOT NULL GROUP BY 1, 2) u
         WHERE p.conversation_id = u.conversation_id AND p.user_id = u.recipient_id
       )
       SELECT message_id, recipient_id, sender_id FROM updated`,
      [
        merged.map((m) => m.messageId),
        merged.map((m) => m.recipientId),
        merged.map((m) => STATUS_RANK[m.status]),
        merged.map((m) => m.deliveredAt),
        merged.map((m) => m.readAt),
      ],
    );
    const byKey = new Map(merged.map((m) => [`${m.messageId}:${m.recipientId}`, m]));
    for (const row of rows) {
      for (const receipt of byKey.get(`${row.message_id}:${row.recipient_id}`)?.receipts ?? []) {
        this.realtime.toUsers([row.sender_id], 'message:status', receipt);
      }
    }
    return { recorded: rows.length, unchanged: merged.length - rows.length };
  }

  /**
   * The messages, locked (a second run of the same job, or a split-out one, waits here), with
   * the recipients still to send to, why the others cannot be, and their notification
   * preferences: one statement.
   */
  private async claim(
    manager: EntityManager,
    messageIds: readonly string[],
  ): Promise<{ messages: Map<string, MessageEntity>; recipients: Map<string, QueuedRecipients>; preferences: Map<string, NotificationPreferences> }> {
    const rows = await preparedQuery<
      MessageRow & {
        recipient_id: string | null;
        member: boolean | null;
        active: boolean | null;
        channels: NotificationPreferences['channels'] | null;
        quiet_hours: NotificationPreferences['quietHours'];
      }
    >(manager, CLAIM, [messageIds]);
    const messages = new Map<string, MessageEntity>();
    const recipients = new Map<string, QueuedRecipients>();
    const preferences = new Map<string, NotificationPreferences>();
    for (const row of rows) {
      if (!messages.has(row.id)) messages.set(row.id, messageFromRow(row));
      if (row.recipient_id === null) continue;
      let entry = recipients.get(row.id);
      if (!entry) recipients.set(row.id, (entry = { deliverable: [], undeliverable: [] }));
      if (!row.member) entry.undeliverable.push({ recipientId: row.recipient_id, reason: 'recipient is no longer a participant of the conversation' });
      else if (!row.active) entry.undeliverable.push({ recipientId: row.recipient_id, reason: 'recipient account is inactive' });
      else entry.deliverable.push(row.recipient_id);
      if (row.channels) preferences.set(row.recipient_id, { channels: row.channels, quietHours: row.quiet_hours });
    }
    return { messages, recipients, preferences };
  }
}

/** Messages by id (locked, in id order: no deadlock between jobs sharing messages), each with its deliveries still to send. */
const CLAIM = `
  SELECT ${MESSAGE_COLUMNS.split(', ')
    .map((column) => `m.${column}`)
    .join(', ')},
         q.recipient_id, q.member, q.active, q.channels, q.quiet_hours
  FROM messages m
  LEFT JOIN LATERAL (
    SELECT d.recipient_id, (p.user_id IS NOT NULL AND p.left_at IS NULL) AS member, u.active, np.channels, np.quiet_hours
    FROM message_deliveries d
    JOIN users u ON u.id = d.recipient_id
    LEFT JOIN conversation_participants p ON p.conversation_id = m.conversation_id AND p.user_id = d.recipient_id
    LEFT JOIN notification_preferences np ON np.user_id = d.recipient_id
    WHERE d.message_id = m.id AND d.status IN ('queued', 'failed')
  ) q ON true
  WHERE m.id = ANY($1::uuid[])
  ORDER BY m.id
  FOR UPDATE OF m`;

/**
 * The split-out messages' deliveries still to send now belong to their own jobs (what operators
 * see and retry). Only those rows: a row this statement marks sent must not be written twice.
 */
function reassignDeliveries(splitOut: readonly { message: MessageEntity; recipientIds: readonly string[] }[]): SqlStatement {
  const rows = splitOut.flatMap(({ message, recipientIds }) =>
    recipientIds.map((recipientId) => [message.id, recipientId, jobIdFor(JOB.SEND_MESSAGE, { messageIds: [message.id] })] as const),
  );
  return {
    sql: `UPDATE message_deliveries d SET job_id = s.job_id, updated_at = now()
          FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS s(message_id, recipient_id, job_id)
          WHERE d.message_id = s.message_id AND d.recipient_id = s.recipient_id`,
    params: [rows.map(([messageId]) => messageId), rows.map(([, recipientId]) => recipientId), rows.map(([, , jobId]) => jobId)],
  };
}

interface MergedReceipt {
  messageId: string;
  recipientId: string;
  status: ConfirmationStatus;
  deliveredAt: string | null;
  readAt: string | null;
  /** Every receipt merged in, in the order they move the delivery (delivered before read). */
  receipts: Receipt[];
}

/** One entry per delivery: a batch can hold its `delivered` and its `read` (a row is updated once per statement). */
function mergeReceipts(receipts: readonly Receipt[]): MergedReceipt[] {
  const byKey = new Map<string, MergedReceipt>();
  for (const receipt of receipts) {
    const key = `${receipt.messageId}:${receipt.recipientId}`;
    const entry = byKey.get(key) ?? {
      messageId: receipt.messageId,
      recipientId: receipt.recipientId,
      status: receipt.status,
      deliveredAt: null,
      readAt: null,
      receipts: [],
    };
    if (receipt.status === 'read') entry.readAt ??= receipt.at;
    else entry.deliveredAt ??= receipt.at;
    if (STATUS_RANK[receipt.status] > STATUS_RANK[entry.status]) entry.status = receipt.status;
    if (!entry.receipts.some((r) => r.status === receipt.status)) entry.receipts.push({ ...receipt });
    byKey.set(key, entry);
  }
  for (const entry of byKey.values()) entry.receipts.sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]);
  return [...byKey.values()];
}
