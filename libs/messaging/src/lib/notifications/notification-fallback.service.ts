import { Injectable, Logger } from '@nestjs/common';
import { FeedbackTarget, NotificationRecipient, NotificationRepository, NotificationSettingsRepository } from '@mq/db';
import type { FallbackChannel, NotificationChannelPreferences, ProviderStatus } from '@mq/messaging-contracts';
import { DEFAULT_PREFERENCES } from '@mq/messaging-contracts';
import type { NotificationChannel } from '@mq/queue-contracts';
import { MessageQueueService } from '@mq/queue';

const CHANNEL_PREFERENCE: Record<FallbackChannel, keyof NotificationChannelPreferences> = { push: 'push', email: 'email', sms: 'sms' };

/** What a provider said about a notification it was given. */
export interface ProviderFeedback {
  status: ProviderStatus;
  detail: string | null;
}

export interface FeedbackOutcome {
  notificationId: string;
  /** The queued job that tries the user's next channel, when the report was a failure and there is one. */
  fallbackJobId?: string;
}

/**
 * Providers' reports after "sent" (webhooks, DSNs, a push service's 404/410) and the fallback
 * they trigger: when a channel bounces or fails for good, the next channel of the user's
 * channelOrder (switched on) gets one `send-notification` job. Its id is derived from the failed
 * notification's, so repeated reports queue it once; the job itself skips if the message was
 * read or another channel delivered meanwhile (NotificationProcessor).
 */
@Injectable()
export class NotificationFallback {
  private readonly logger = new Logger(NotificationFallback.name);

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly settings: NotificationSettingsRepository,
    private readonly queue: MessageQueueService,
  ) {}

  /**
   * Undefined when no notification matches or a different report is already recorded (a late
   * delivery). The same failure reported again queues its fallback again, which is a no-op once
   * queued (same job id) and heals a first report whose enqueue failed.
   */
  async report(target: FeedbackTarget, feedback: ProviderFeedback): Promise<FeedbackOutcome | undefined> {
    const row = await this.notifications.recordProviderStatus(target, feedback.status, feedback.detail);
    if (!row) return undefined;
    if (row.providerStatus === 'delivered') return { notificationId: row.id };
    return { notificationId: row.id, fallbackJobId: await this.fallBack({ id: row.id, userId: row.userId, channel: row.channel }) };
  }

  /** Queues the notification again on the user's next channel; undefined when there is none. */
  async fallBack(failed: { id: string; userId: string; channel: NotificationChannel }, recipient?: NotificationRecipient): Promise<string | undefined> {
    const next = nextChannel(failed.channel, recipient ?? (await this.settings.recipient(failed.userId)));
    if (!next) return undefined;
    const jobId = await this.queue.addNotificationJob({ recipientId: failed.userId, channel: next, reason: 'fallback', fallbackOf: failed.id });
    this.logger.log({ notificationId: failed.id, from: failed.channel, to: next, jobId }, 'notification falls back to the next channel');
    return jobId;
  }
}

/** The first channel after `channel` in the user's order that is switched on. */
export function nextChannel(
  channel: NotificationChannel,
  recipient: Pick<NotificationRecipient, 'channels' | 'channelOrder' | 'active'> | undefined,
): FallbackChannel | undefined {
  if (!recipient?.active || !recipient.channelOrder) return undefined;
  const order = recipient.channelOrder;
  const at = order.indexOf(channel as FallbackChannel);
  if (at < 0) return undefined;
  const channels = recipient.channels ?? DEFAULT_PREFERENCES.channels;
  return order.slice(at + 1).find((candidate) => candidate !== channel && channels[CHANNEL_PREFERENCE[candidate]]);
}
