import { Inject, Injectable } from '@nestjs/common';
import { MessageEntity } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { DEFAULT_PREFERENCES, PresenceService, StageEntry, quietHoursEnd } from '@mq/messaging';
import { JOB, JOB_PRIORITY, NotificationChannel, NotificationJob } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

interface Planned {
  job: NotificationJob;
  at: number;
}

/**
 * Decides who is notified, how and when, once a message went out. Offline recipients are
 * notified now (in-app and push; SMS too for a high-priority message); online ones get one
 * reminder only if the message is still unread after NOTIFY_UNREAD_AFTER_MS (the read
 * receipt cancels it). Email is a digest per user per window. Quiet hours delay everything
 * but high priority. Preferences switch channels off.
 */
@Injectable()
export class NotificationRouter {
  constructor(
    private readonly presence: PresenceService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  /**
   * The notification jobs a sent message calls for, to stage with the send's other follow-ups.
   * `preferences` holds the recipients' saved preferences (loaded with the recipients); the
   * defaults apply to the others.
   */
  async plan(
    message: MessageEntity,
    recipientIds: readonly string[],
    preferences: ReadonlyMap<string, NotificationPreferences>,
    now = Date.now(),
  ): Promise<StageEntry<'send-notification'>[]> {
    if (recipientIds.length === 0) return [];
    const online = await this.presence.onlineUsers(recipientIds);
    const high = message.priority === 'high';
    const { unreadAfterMs, digestWindowMs } = this.config.notifications;
    const planned: Planned[] = [];
    for (const recipientId of recipientIds) {
      const { channels, quietHours } = preferences.get(recipientId) ?? DEFAULT_PREFERENCES;
      const quietEnd = high ? 0 : (quietHoursEnd(new Date(now), quietHours)?.getTime() ?? 0);
      const notBefore = (at: number) => Math.max(at, quietEnd);
      const plan = (channel: NotificationChannel, reason: NotificationJob['reason'], at: number) =>
        planned.push({ job: { recipientId, channel, reason, messageId: message.id }, at: notBefore(at) });
      if (!online.has(recipientId)) {
        if (channels.inApp) plan('in_app', 'offline', now);
        if (channels.push) plan('push', 'offline', now);
        if (channels.sms && high) plan('sms', 'offline', now);
      } else if (channels.inApp || channels.push) {
        plan(channels.inApp ? 'in_app' : 'push', 'unread', now + unreadAfterMs);
      }
      if (channels.email) {
        const window = Math.floor(now / digestWindowMs);
        planned.push({
          job: { recipientId, channel: 'email', reason: 'unread', digestWindow: Math.floor((window * digestWindowMs) / 1000) },
          at: notBefore((window + 1) * digestWindowMs),
        });
      }
    }
    const priority = high ? JOB_PRIORITY.HIGH : JOB_PRIORITY.NORMAL;
    return planned.map(({ job, at }) => ({ name: JOB.SEND_NOTIFICATION, payload: job, options: { priority, availableAt: new Date(at) } }));
  }
}
