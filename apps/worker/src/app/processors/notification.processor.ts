import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotificationRecipient, NotificationRepository, NotificationSettingsRepository } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { NotificationFallback, RealtimeEmitter, nextChannel } from '@mq/messaging';
import { DEFAULT_PREFERENCES, SOCKET_EVENTS } from '@mq/messaging-contracts';
import {
  ChannelUnavailableError,
  CircuitOpenError,
  DeliveryError,
  NotificationTransports,
  OutgoingNotification,
  SubscriptionGoneError,
} from '@mq/notifications';
import { JOB, NotificationChannel, jobIdFor } from '@mq/queue-contracts';
import { HandledJob, JobHandler, MessageQueueService } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { reminderWindowMs, windowBounds } from '../notifications/notification-window';
import { QuietDigestService } from '../notifications/quiet-digest.service';

export interface NotificationResult {
  outcome: 'sent' | 'skipped' | 'deferred' | 'already-sent' | 'fell-back';
  reason?: string;
  notificationId?: string;
}

/** A digest says "100+" beyond this: counting further would only cost. */
const DIGEST_COUNT_CAP = 100;
/** A reminder counts at most this many unread messages ("100+ new messages"). */
const REMINDER_COUNT_CAP = 100;

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
    private readonly notifications: NotificationRepository,
    private readonly settings: NotificationSettingsRepository,
    private readonly transports: NotificationTransports,
    private readonly realtime: RealtimeEmitter,
    private readonly producer: MessageQueueService,
    private readonly fallback: NotificationFallback,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly quietDigest: QuietDigestService,
  ) {}

  @JobHandler(JOB.SEND_NOTIFICATION)
  async sendNotification(job: HandledJob<'send-notification'>): Promise<NotificationResult> {
    const { recipientId, channel, messageId, conversationId, window } = job.data;
    const dedupeKey = jobIdFor(JOB.SEND_NOTIFICATION, job.data);

    const recipient = await this.settings.recipient(recipientId);
    if (!recipient || !recipient.active) return { outcome: 'skipped', reason: 'recipient missing or inactive' };

    // The end of a quiet period: one digest of what it held, released once sent (or found sent).
    const quiet =
      job.data.reason === 'quiet-hours'
        ? await this.quietDigest.content(recipientId, channel, window ?? 0, (recipient.channels ?? DEFAULT_PREFERENCES.channels)[CHANNEL_PREFERENCE[channel]])
        : undefined;
    const content =
      quiet ??
      (job.data.fallbackOf
        ? await this.repeated(job.data.fallbackOf, recipientId)
        : conversationId
          ? await this.unreadIn(conversationId, recipientId, messageId, window ?? 0)
          : messageId
            ? await this.aboutMessage(messageId, recipientId)
            : await this.digest(recipientId, window ?? 0));
    if ('skip' in content) {
      await quiet?.release();
      return { outcome: 'skipped', reason: content.skip };
    }

    const row = await this.notifications.open({
      userId: recipientId,
      messageId: messageId ?? content.messageId ?? null,
      channel,
      title: content.title,
      body: content.body,
      dedupeKey,
      fallbackOf: job.data.fallbackOf ?? null,
    });
    if (row.status === 'sent') {
      await quiet?.release();
      return { outcome: 'already-sent', notificationId: row.id };
    }
    const channels = recipient.channels ?? DEFAULT_PREFERENCES.channels;
    if (!channels[CHANNEL_PREFERENCE[channel]]) return this.skip(row.id, `${channel} is switched off in the user's preferences`);

    let providerId: string | undefined;
    try {
      providerId = await this.deliver(channel, recipientId, recipient, { ...content, reference: row.id }, row.id);
    } catch (error) {
      if (error instanceof ChannelUnavailableError) return this.skip(row.id, error.message);
      const failed = { id: row.id, userId: recipientId, channel };
      if (error instanceof CircuitOpenError) {
        // Another channel beats waiting out the provider's outage; without one, wait.
        if (!nextChannel(channel, recipient)) return this.defer(job, row.id, error);
        await this.notifications.markUnsent(row.id, 'skipped', error.message);
        await this.fallback.fallBack(failed, recipient);
        return { outcome: 'fell-back', reason: error.message, notificationId: row.id };
      }
      await this.notifications.markUnsent(row.id, 'failed', errorMessage(error));
      if (error instanceof SubscriptionGoneError) {
        // Every device is gone (and removed): retrying cannot help; the next channel can.
        await this.fallback.report({ id: row.id }, { status: 'undelivered', detail: error.message });
        return { outcome: 'skipped', reason: error.message, notificationId: row.id };
      }
      if (failsForGood(job, error)) await this.fallback.fallBack(failed, recipient);
      throw error;
    }
    await this.notifications.markSent(row.id, providerId);
    await quiet?.release();
    return { outcome: 'sent', notificationId: row.id };
  }

  /**
   * A fallback repeats the failed notification's title and body on this channel, unless the
   * message was read or some channel delivered it meanwhile.
   */
  private async repeated(failedId: string, recipientId: string): Promise<(OutgoingNotification & { messageId?: string }) | { skip: string }> {
    const source = await this.notifications.fallbackSource(failedId);
    if (!source || source.userId !== recipientId) return { skip: 'the notification it replaces is gone' };
    if (source.read) return { skip: 'read before the fallback went out' };
    if (source.deliveredElsewhere) return { skip: 'another channel delivered it' };
    return {
      title: source.title,
      body: source.body,
      url: source.conversationId ? `/conversations/${source.conversationId}` : '/',
      tag: source.messageId ?? failedId,
      messageId: source.messageId ?? undefined,
    };
  }

  private async deliver(
    channel: NotificationChannel,
    userId: string,
    recipient: NotificationRecipient,
    content: OutgoingNotification,
    notificationId: string,
  ): Promise<string | undefined> {
    switch (channel) {
      case 'in_app':
        this.realtime.toUsers([userId], SOCKET_EVENTS.NOTIFICATION_NEW, {
          id: notificationId,
          channel,
          title: content.title,
          body: content.body,
          messageId: null,
        });
        return;
      case 'email':
        return (await this.transports.email.send({ to: recipient.email, displayName: recipient.displayName }, content)).providerMessageId;
      case 'sms':
        if (!recipient.phone) throw new ChannelUnavailableError('sms', 'the recipient has no phone number');
        return (await this.transports.sms.send({ to: recipient.phone }, content)).providerMessageId;
      case 'push':
        await this.pushToEverySubscription(userId, content);
        return undefined;
    }
  }

  /** Every device of the user; a subscription the push service says is gone is removed. */
  private async pushToEverySubscription(userId: string, content: OutgoingNotification): Promise<void> {
    const subscriptions = await this.settings.pushSubscriptionsOf(userId);
    if (subscriptions.length === 0) throw new ChannelUnavailableError('push', 'the recipient has no push subscription');
    let delivered = 0;
    let lastError: unknown;
    let gone: SubscriptionGoneError | undefined;
    for (const subscription of subscriptions) {
      try {
        await this.transports.push.send({ endpoint: subscription.endpoint, keys: subscription.keys }, content);
        delivered++;
        await this.settings.pushSucceeded(subscription.id);
      } catch (error) {
        if (error instanceof SubscriptionGoneError) {
          await this.settings.removePushSubscription(subscription.id);
          gone = error;
          continue;
        }
        lastError = error;
      }
    }
    if (delivered === 0 && lastError) throw lastError;
    if (delivered === 0 && gone) throw gone;
  }

  /** Title and body about one message: who wrote, never what. Skips if it was read or deleted. */
  private async aboutMessage(messageId: string, recipientId: string): Promise<(OutgoingNotification & { messageId?: string }) | { skip: string }> {
    const message = await this.notifications.notifiedMessage(messageId, recipientId);
    if (!message || message.deleted) return { skip: 'message deleted' };
    if (message.deliveryStatus === 'read') return { skip: 'read before the notification went out' };
    return {
      title: `New message from ${message.sender}`,
      body: message.conversationTitle ? `In “${message.conversationTitle}”. Open the app to read it.` : 'Open the app to read it.',
      url: `/conversations/${message.conversationId}`,
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
    const run = await this.notifications.unreadRun(conversationId, recipientId, fromMessageId ?? null, end, REMINDER_COUNT_CAP);
    if (!run) return { skip: 'read before the reminder went out' };
    const them = run.count === 1 ? 'it' : 'them';
    const count = run.count >= REMINDER_COUNT_CAP ? `${REMINDER_COUNT_CAP}+` : String(run.count);
    return {
      messageId: run.firstMessageId,
      title: run.count === 1 ? `New message from ${run.firstSender ?? 'someone'}` : `${count} new messages`,
      body: run.conversationTitle ? `In “${run.conversationTitle}”. Open the app to read ${them}.` : `Open the app to read ${them}.`,
      url: `/conversations/${conversationId}`,
      tag: `unread-${conversationId}`,
    };
  }

  /** One email for every message that arrived in the window and is still unread. */
  private async digest(recipientId: string, windowStartSeconds: number): Promise<(OutgoingNotification & { messageId?: string }) | { skip: string }> {
    const { start, end } = windowBounds(windowStartSeconds, this.config.notifications.digestWindowMs);
    const unread = await this.notifications.unreadCountBetween(recipientId, start, end, DIGEST_COUNT_CAP);
    if (unread === 0) return { skip: 'nothing unread in the digest window' };
    const count = unread >= DIGEST_COUNT_CAP ? `${DIGEST_COUNT_CAP}+` : String(unread);
    return {
      title: unread === 1 ? 'You have 1 unread message' : `You have ${count} unread messages`,
      body: 'Open the app to read them.',
      url: '/',
      tag: `digest-${windowStartSeconds}`,
    };
  }

  private async skip(notificationId: string, reason: string): Promise<NotificationResult> {
    await this.notifications.markUnsent(notificationId, 'skipped', reason);
    return { outcome: 'skipped', reason, notificationId };
  }

  /** The provider is known to be failing: try again once its circuit half-opens, without spending an attempt. */
  private async defer(job: HandledJob<'send-notification'>, notificationId: string, error: CircuitOpenError): Promise<NotificationResult> {
    const base = jobIdFor(JOB.SEND_NOTIFICATION, job.data);
    const delayMs = Math.max(1_000, error.retryAt.getTime() - Date.now());
    await this.producer.addNotificationJob(job.data, { jobId: `${base}:deferred-${Date.now()}`, delayMs });
    await this.notifications.noteError(notificationId, error.message);
    this.logger.warn({ jobId: job.id, channel: job.data.channel, delayMs }, 'provider circuit open: notification deferred');
    return { outcome: 'deferred', reason: error.message, notificationId };
  }
}

/** A permanent rejection, or a retryable failure on the job's last attempt. */
function failsForGood(job: HandledJob<'send-notification'>, error: unknown): boolean {
  if (!(error instanceof DeliveryError)) return false;
  return !error.retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}
