import { Injectable } from '@nestjs/common';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { DataSource, EntityManager } from 'typeorm';
import { DeliverySendRepository, HeldNotificationRepository, MergedReceipt, MessageEntity, MessageRepository, ReceiptRepository, SqlStatement } from '@mq/db';
import type { Message, NotificationPreferences } from '@mq/messaging-contracts';
import { MessageCrypto, MessageSearchService, OutboxPublisher, RealtimeEmitter, StageEntry, StagedJob, toMessageView } from '@mq/messaging';
import { ConfirmationStatus, JOB, QUEUE_POLICY, Receipt, jobIdFor, queueOfJob, toJobPriority } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';
import { currentTraceparent, messageContext, traced, tracingEnabled } from '@mq/tracing';
import { SpanKind } from '@opentelemetry/api';
import { TrafficMeter } from '../monitoring/traffic.meter';
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
    private readonly messages: MessageRepository,
    private readonly sends: DeliverySendRepository,
    private readonly receipts: ReceiptRepository,
    private readonly crypto: MessageCrypto,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
    private readonly router: NotificationRouter,
    private readonly search: MessageSearchService,
    private readonly traffic: TrafficMeter,
    private readonly held: HeldNotificationRepository,
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
    // Tracing on: each message's trace context, by id.
    const traceparents = job.data.traceparents;
    const traceOf = traceparents && new Map(ids.map((id, i) => [id, traceparents[i] ?? '']));
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? QUEUE_POLICY[queueOfJob(JOB.SEND_MESSAGE)].attempts);
    const chained: StagedJob[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const { messages: found, recipients, preferences } = await this.claim(manager, ids);
      const live = ids.map((id) => found.get(id)).filter((m): m is MessageEntity => m !== undefined && m.deletedAt === null);
      for (const message of live) {
        if (message.seq !== null) continue;
        // A scheduled message takes its place in the conversation now, as it goes out.
        message.seq = await this.messages.nextSeq(manager, message.conversationId);
        await this.messages.placeScheduled(manager, message.id, message.seq);
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
        if (deliverable.length > 0) this.emitNew(deliverable, toMessageView({ ...message, status: 'sent' }, content), traceOf?.get(message.id));
        if (!alone && undeliverable.length > 0) splitOut.push({ message, recipientIds: undeliverable.map((u) => u.recipientId) });
        readable.push({ message, content });
        sent.push({ message, deliverable, undeliverable: alone ? undeliverable : [] });
      }
      // Follow-up work rides in this transaction's outbox: it exists exactly when the sends did.
      const notifying = await this.router.plan(
        sent.map((s) => ({ message: s.message, recipientIds: s.deliverable })),
        preferences,
      );
      const followUps: StageEntry[] = [
        ...notifying.jobs,
        ...splitOut.map(({ message }) => ({
          name: JOB.SEND_MESSAGE,
          payload: traceOf?.get(message.id) ? { messageIds: [message.id], traceparents: [traceOf.get(message.id) as string] } : { messageIds: [message.id] },
          options: { priority: toJobPriority(message.priority) },
        })),
      ];
      // The recipients' new states, the messages', their search terms (the content is at hand and
      // the rows locked: no separate index job), who carries the split ones, the follow-up jobs: one statement.
      const split = new Set(splitOut.map((s) => s.message.id));
      const statements = this.recordAttempt(sent, split, finalAttempt);
      const index = await this.search.indexNew(readable);
      if (index) statements.push(index);
      // What quiet hours hold is recorded with the sends, for its wake digest.
      const hold = this.held.holdStatement(notifying.held);
      if (hold) statements.push(hold);
      if (splitOut.length > 0) statements.push(this.sends.reassignStatement(splitOutRows(splitOut)));
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
    this.traffic.messagesSent(summary.sent);
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
   * `message:new` to the recipients. Tracing on: in a span of the message's trace, whose context
   * the event carries, so the recipients' acks join that trace.
   */
  private emitNew(recipientIds: string[], view: Message, traceparent: string | undefined): void {
    if (!tracingEnabled()) {
      this.realtime.toUsers(recipientIds, SOCKET_EVENTS.MESSAGE_NEW, view);
      return;
    }
    traced(
      `socket emit ${SOCKET_EVENTS.MESSAGE_NEW}`,
      { parent: messageContext(traceparent), kind: SpanKind.PRODUCER, attributes: { 'mq.message.id': view.id } },
      () => {
        const emitted = currentTraceparent();
        this.realtime.toUsers(recipientIds, SOCKET_EVENTS.MESSAGE_NEW, emitted ? { ...view, traceparent: emitted } : view);
      },
    );
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
    const statements = [this.sends.messageStatusesStatement(sent.map((s) => ({ messageId: s.message.id, status: status(s) })))];
    const delivered = sent.flatMap((s) => s.deliverable.map((recipientId) => ({ messageId: s.message.id, recipientId })));
    if (delivered.length > 0) statements.push(this.sends.markSentStatement(delivered));
    const failing = sent.flatMap((s) => s.undeliverable.map((u) => ({ messageId: s.message.id, ...u })));
    if (failing.length > 0) statements.push(this.sends.markAttemptFailedStatement(failing, finalAttempt));
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
    const rows = await this.receipts.record(merged);
    const byKey = new Map(merged.map((m) => [`${m.messageId}:${m.recipientId}`, m]));
    for (const row of rows) {
      const entry = byKey.get(`${row.messageId}:${row.recipientId}`);
      // This receipt was the first to say the device had it: the delivery's send -> receive time.
      if (entry?.deliveredAt && Date.parse(entry.deliveredAt) === row.deliveredAt.getTime()) {
        this.traffic.delivered(row.deliveredAt.getTime() - row.dueAt.getTime(), row.deliveredAt.getTime());
      }
      for (const receipt of entry?.receipts ?? []) this.realtime.toUsers([row.senderId], SOCKET_EVENTS.MESSAGE_STATUS, receipt);
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
    const { messages, pending } = await this.sends.claim(manager, messageIds);
    const recipients = new Map<string, QueuedRecipients>();
    const preferences = new Map<string, NotificationPreferences>();
    for (const delivery of pending) {
      let entry = recipients.get(delivery.messageId);
      if (!entry) recipients.set(delivery.messageId, (entry = { deliverable: [], undeliverable: [] }));
      if (!delivery.member) entry.undeliverable.push({ recipientId: delivery.recipientId, reason: 'recipient is no longer a participant of the conversation' });
      else if (!delivery.active) entry.undeliverable.push({ recipientId: delivery.recipientId, reason: 'recipient account is inactive' });
      else entry.deliverable.push(delivery.recipientId);
      if (delivery.preferences) preferences.set(delivery.recipientId, delivery.preferences);
    }
    return { messages, recipients, preferences };
  }
}

/**
 * The split-out messages' deliveries still to send now belong to their own jobs (what operators
 * see and retry). Only those rows: a row this statement marks sent must not be written twice.
 */
function splitOutRows(splitOut: readonly { message: MessageEntity; recipientIds: readonly string[] }[]) {
  return splitOut.flatMap(({ message, recipientIds }) =>
    recipientIds.map((recipientId) => ({ messageId: message.id, recipientId, jobId: jobIdFor(JOB.SEND_MESSAGE, { messageIds: [message.id] }) })),
  );
}

interface MergedReceipts extends MergedReceipt {
  /** Every receipt merged in, in the order they move the delivery (delivered before read). */
  receipts: Receipt[];
}

/** One entry per delivery: a batch can hold its `delivered` and its `read` (a row is updated once per statement). */
function mergeReceipts(receipts: readonly Receipt[]): MergedReceipts[] {
  const byKey = new Map<string, MergedReceipts>();
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
