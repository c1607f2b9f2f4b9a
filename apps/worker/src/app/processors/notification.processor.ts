import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotificationSettingsRepository } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { DEFAULT_PREFERENCES, RealtimeEmitter } from '@mq/messaging';
import {
  ChannelUnavailableError,
  CircuitOpenError,
  NotificationTransports,
  OutgoingNotification,
  SubscriptionGoneError,
} from '@mq/notifications';
import { JOB, NotificationChannel, jobIdFor } from '@mq/queue-contracts';
import { HandledJob, JobHandler, MessageQueueService } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { reminderWindowMs, windowBounds } from '../notifications/notification-window';

export interface NotificationResult {
  outcome: 'sent' | 'skipped' | 'deferred' | 'already-sent';
  reason?: string;
  notificationId?: string;
}

interface Recipient {
  email: string;
  display_name: string;
  phone: string | null;
  active: boolean;
  channels: NotificationPreferences['channels'] | null;
}

/** A digest says "100+" beyond this: counting further would only cost. */
const DIGEST_COUNT_CAP = 100;

const CHANNEL_PREFERENCE: Record<NotificationChannel, keyof NotificationPreferences['channels']> = {
  in_app: 'inApp',
  email: 'email',
  push: 'push',
  sms: 'sms',
};

/**
 * `send-notification`: one notification on one channel. A notifications row (keyed by the
 * job id) records what happened: sent, failed with the provider's reason, or skipped with
 * why (read already, channel off or not configured, no address). Running it again after a
 * success sends nothing. While a provider's circuit is open the job is deferred, not
 * failed, so an outage does not burn every job's attempts.
 */
@Injectable()
export class NotificationProcessor {
  private readonly logger = new Logger(NotificationProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: NotificationSettingsRepository,
    private readonly transports: NotificationTransports,
    private readonly realtime: RealtimeEmitter,
    private readonly producer: MessageQueueService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @JobHandler(JOB.SEND_NOTIFICATION)
  async sendNotification(job: HandledJob<'send-notification'>): Promise<NotificationResult> {
    const { recipientId, channel, messageId, conversationId, window } = job.data;
    const dedupeKey = jobIdFor(JOB.SEND_NOTIFICATION, job.data);

    const [recipient] = (await this.dataSource.query(
      `SELECT u.email, u.display_name, u.phone, u.active, p.channels
       FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id WHERE u.id = $1`,
      [recipientId],
    )) as Recipient[];
    if (!recipient || !recipient.active) return { outcome: 'skipped', reason: 'recipient missing or inactive' };

    const content = conversationId
      ? await this.unreadIn(conversationId, recipientId, messageId, window ?? 0)
      : messageId
        ? await this.aboutMessage(messageId, recipientId)
        : await this.digest(recipientId, window ?? 0);
    if ('skip' in content) return { outcome: 'skipped', reason: content.skip };

    const row = await this.upsertRow(recipientId, messageId ?? content.messageId ?? null, channel, dedupeKey, content);
    if (row.status === 'sent') return { outcome: 'already-sent', notificationId: row.id };
    const channels = recipient.channels ?? DEFAULT_PREFERENCES.channels;
    if (!channels[CHANNEL_PREFERENCE[channel]]) return this.skip(row.id, `${channel} is switched off in the user's preferences`);

    try {
      await this.deliver(channel, recipientId, recipient, content, row.id);
    } catch (error) {
      if (error instanceof ChannelUnavailableError) return this.skip(row.id, error.message);
      if (error instanceof CircuitOpenError) return this.defer(job, row.id, error);
      await this.dataSource.query(`UPDATE notifications SET status = 'failed', error = $2 WHERE id = $1`, [row.id, errorMessage(error)]);
      throw error;
    }
    await this.dataSource.query(`UPDATE notifications SET status = 'sent', sent_at = now(), error = NULL WHERE id = $1`, [row.id]);
    return { outcome: 'sent', notificationId: row.id };
  }

  private async deliver(channel: NotificationChannel, userId: string, recipient: Recipient, content: OutgoingNotification, notificationId: string): Promise<void> {
    switch (channel) {
      case 'in_app':
        this.realtime.toUsers([userId], 'notification:new', { id: notificationId, channel, title: content.title, body: content.body, messageId: null });
        return;
      case 'email':
        await this.transports.email.send({ to: recipient.email, displayName: recipient.display_name }, content);
        return;
      case 'sms':
        if (!recipient.phone) throw new ChannelUnavailableError('sms', 'the recipient has no phone number');
        await this.transports.sms.send({ to: recipient.phone }, content);
        return;
      case 'push':
        await this.pushToEverySubscription(userId, content);
        return;
    }
  }

  /** Every device of the user; a subscription the push service says is gone is removed. */
  private async pushToEverySubscription(userId: string, content: OutgoingNotification): Promise<void> {
    const subscriptions = await this.settings.pushSubscriptionsOf(userId);
    if (subscriptions.length === 0) throw new ChannelUnavailableError('push', 'the recipient has no push subscription');
    let delivered = 0;
    let lastError: unknown;
    for (const subscription of subscriptions) {
      try {
        await this.transports.push.send({ endpoint: subscription.endpoint, keys: subscription.keys }, content);
        delivered++;
        await this.settings.pushSucceeded(subscription.id);
      } catch (error) {
        if (error instanceof SubscriptionGoneError) {
          await this.settings.removePushSubscription(subscription.id);
          continue;
        }
        lastError = error;
      }
    }
    if (delivered === 0 && lastError) throw lastError;
    if (delivered === 0) throw new ChannelUnavailableError('push', 'every push subscription of the recipient is gone');
  }

  /** Title and body about one message: who wrote, never what. Skips if it was read or deleted. */
  private async aboutMessage(messageId: string, recipientId: string): Promise<(OutgoingNotification & { messageId?: string }) | { skip: string }> {
    const [row] = (await this.dataSource.query(
      `SELECT m.conversation_id, m.deleted_at, u.display_name AS sender, c.title, d.status
       FROM messages m JOIN users u ON u.id = m.sender_id JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN message_deliveries d ON d.message_id = m.id AND d.recipient_id = $2
       WHERE m.id = $1`,
      [messageId, recipientId],
    )) as { conversation_id: string; deleted_at: Date | null; sender: string; title: string | null; status: string | null }[];
    if (!row || row.deleted_at) return { skip: 'message deleted' };
    if (row.status === 'read') return { skip: 'read before the notification went out' };
    return {
      title: `New message from ${row.sender}`,
      body: row.title ? `In “${row.title}”. Open the app to read it.` : 'Open the app to read it.',
      url: `/conversations/${row.conversation_id}`,
      tag: messageId,
    };
  }

  /**
   * A reminder: what arrived in this conversation for the recipient from the window's first
   * message to the window's end and is still unread (none: nothing to send). The row points at
   * the first of those messages.
   */
  private async unreadIn(
    conversationId: string,
    recipientId: string,
    fromMessageId: string | undefined,
    windowStartSeconds: number,
  ): Promise<(OutgoingNotification & { messageId: string }) | { skip: string }> {
    const { end } = windowBounds(windowStartSeconds, reminderWindowMs(this.config));
    // From the first message's seq on (the conversation's own index), not a scan of the recipient's unread.
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS unread, (array_agg(m.id ORDER BY m.seq))[1] AS first_id, (array_agg(u.display_name ORDER BY m.seq))[1] AS sender, min(c.title) AS title
       FROM messages m
       JOIN message_deliveries d ON d.message_id = m.id AND d.recipient_id = $2
       JOIN users u ON u.id = m.sender_id JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = $1 AND m.seq >= (SELECT seq FROM messages WHERE id = $3) AND m.created_at < $4
         AND d.status <> 'read' AND m.deleted_at IS NULL`,
      [conversationId, recipientId, fromMessageId ?? null, end],
    )) as { unread: number; first_id: string | null; sender: string | null; title: string | null }[];
    if (!row?.first_id) return { skip: 'read before the reminder went out' };
    return {
      messageId: row.first_id,
      title: row.unread === 1 ? `New message from ${row.sender ?? 'someone'}` : `${row.unread} new messages`,
      body: row.title ? `In “${row.title}”. Open the app to read ${row.unread === 1 ? 'it' : 'them'}.` : `Open the app to read ${row.unread === 1 ? 'it' : 'them'}.`,
      url: `/conversations/${conversationId}`,
      tag: `unread-${conversationId}`,
    };
  }

  /** One email for every message that arrived in the window and is still unread. */
  private async digest(recipientId: string, windowStartSeconds: number): Promise<(OutgoingNotification & { messageId?: string }) | { skip: string }> {
    const { start, end } = windowBounds(windowStartSeconds, this.config.notifications.digestWindowMs);
    // The recipient's deliveries of the window, by their own index; counted up to the cap (a busy
    // window must not make every digest read tens of thousands of rows at once).
    const [{ unread }] = (await this.dataSource.query(
      `SELECT count(*)::int AS unread FROM (
         SELECT 1 FROM message_deliveries d JOIN messages m ON m.id = d.message_id
         WHERE d.recipient_id = $1 AND d.queued_at >= $2 AND d.queued_at < $3 AND d.status <> 'read' AND m.deleted_at IS NULL
         LIMIT $4
       ) window_unread`,
      [recipientId, start, end, DIGEST_COUNT_CAP],
    )) as [{ unread: number }];
    if (unread === 0) return { skip: 'nothing unread in the digest window' };
    const count = unread >= DIGEST_COUNT_CAP ? `${DIGEST_COUNT_CAP}+` : String(unread);
    return {
      title: unread === 1 ? 'You have 1 unread message' : `You have ${count} unread messages`,
      body: 'Open the app to read them.',
      url: '/',
      tag: `digest-${windowStartSeconds}`,
    };
  }

  private async upsertRow(userId: string, messageId: string | null, channel: NotificationChannel, dedupeKey: string, content: OutgoingNotification) {
    const [row] = (await this.dataSource.query(
      `INSERT INTO notifications (user_id, message_id, channel, status, title, body, dedupe_key, attempts)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, 1)
       ON CONFLICT (dedupe_key) DO UPDATE SET attempts = notifications.attempts + 1
       RETURNING id, status`,
      [userId, messageId, channel, content.title, content.body, dedupeKey],
    )) as { id: string; status: string }[];
    if (!row) throw new Error('notification row was not written');
    return row;
  }

  private async skip(notificationId: string, reason: string): Promise<NotificationResult> {
    await this.dataSource.query(`UPDATE notifications SET status = 'skipped', error = $2 WHERE id = $1`, [notificationId, reason]);
    return { outcome: 'skipped', reason, notificationId };
  }

  /** The provider is known to be failing: try again once its circuit half-opens, without spending an attempt. */
  private async defer(job: HandledJob<'send-notification'>, notificationId: string, error: CircuitOpenError): Promise<NotificationResult> {
    const base = jobIdFor(JOB.SEND_NOTIFICATION, job.data);
    const delayMs = Math.max(1_000, error.retryAt.getTime() - Date.now());
    await this.producer.addNotificationJob(job.data, { jobId: `${base}:deferred-${Date.now()}`, delayMs });
    await this.dataSource.query(`UPDATE notifications SET error = $2 WHERE id = $1`, [notificationId, error.message]);
    this.logger.warn({ jobId: job.id, channel: job.data.channel, delayMs }, 'provider circuit open: notification deferred');
    return { outcome: 'deferred', reason: error.message, notificationId };
  }
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}
