import { Inject, Injectable } from '@nestjs/common';
import { HeldItem, MessageEntity } from '@mq/db';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { PresenceService, StageEntry, StagedJob } from '@mq/messaging';
import { DEFAULT_PREFERENCES, quietHoldsChannel } from '@mq/messaging-contracts';
import { quietHoursEnd } from './quiet-hours.helper';
import { JOB, JOB_PRIORITY, JobPriority, NotificationChannel, NotificationJob, jobIdFor } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';
import { reminderWindowMs, windowAt } from './notification-window';

interface Planned {
  job: NotificationJob;
  at: number;
  priority: JobPriority;
}

export interface SentMessage {
  message: MessageEntity;
  recipientIds: readonly string[];
}

/** What sent messages call for: jobs to stage, and what quiet hours hold for their wake digests. */
export interface NotificationPlan {
  jobs: StageEntry<'send-notification'>[];
  held: HeldItem[];
}

/** Staged reminders and digests remembered at most this many (they only save repeat work). */
const REMEMBERED_MAX = 100_000;

/**
 * Decides who is notified, how and when, once messages went out. Offline recipients are
 * notified now, per message (in-app and push; SMS too for a high-priority message). An online
 * recipient gets one reminder per conversation per NOTIFY_UNREAD_AFTER_MS window, sent only if
 * what arrived in that window is still unread by then: a busy conversation is one reminder,
 * not one per message. Email is a digest per user per window. Preferences switch channels off.
 *
 * Quiet hours hold their channels (by default all but in-app): instead of a job, a held item,
 * and one wake job per recipient, channel and quiet period (its id names the period's end), which
 * sends one digest of what was held. A critical message is never held; high priority is.
 */
@Injectable()
export class NotificationRouter {
  /** Reminder and digest job ids already staged, until their window ends: the next message in the window stages nothing. */
  private readonly staged = new Map<string, number>();

  constructor(
    private readonly presence: PresenceService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  /**
   * The notification jobs sent messages call for, to stage with the sends' other follow-ups.
   * `preferences` holds the recipients' saved preferences (loaded with the recipients); the
   * defaults apply to the others. One presence lookup for the whole batch.
   */
  async plan(sent: readonly SentMessage[], preferences: ReadonlyMap<string, NotificationPreferences>, now = Date.now()): Promise<NotificationPlan> {
    const everyone = [...new Set(sent.flatMap((s) => s.recipientIds))];
    if (everyone.length === 0) return { jobs: [], held: [] };
    const online = await this.presence.onlineUsers(everyone);
    const { unreadAfterMs, digestWindowMs } = this.config.notifications;
    const reminderWindow = windowAt(now, reminderWindowMs(this.config)).seconds;
    const planned = new Map<string, Planned>();
    const held: HeldItem[] = [];
    // Each recipient's quiet period at this moment, worked out once per plan (0: not in one).
    const wakes = new Map<string, number>();
    const wakeOf = (recipientId: string, quietHours: NotificationPreferences['quietHours']) => {
      let wake = wakes.get(recipientId);
      if (wake === undefined) wakes.set(recipientId, (wake = quietHoursEnd(new Date(now), quietHours)?.getTime() ?? 0));
      return wake;
    };
    for (const { message, recipientIds } of sent) {
      // A critical message is as urgent as a high-priority one (SMS too), and no quiet hours hold it.
      const high = message.priority === 'high' || message.critical;
      const priority: JobPriority = high ? JOB_PRIORITY.HIGH : JOB_PRIORITY.NORMAL;
      // The digest counts deliveries by when they were queued (the message's own timestamp), so
      // its window is the message's, not the moment this plan runs: a message sent just before a
      // window's end and planned just after it belongs to the window that counts it.
      const digest = windowAt(message.createdAt.getTime(), digestWindowMs);
      for (const recipientId of recipientIds) {
        const { channels, quietHours } = preferences.get(recipientId) ?? DEFAULT_PREFERENCES;
        const wake = quietHours === null || message.critical ? 0 : wakeOf(recipientId, quietHours);
        const stage = (job: NotificationJob, at: number, jobPriority: JobPriority) => {
          const key = jobIdFor(JOB.SEND_NOTIFICATION, job);
          if (!planned.has(key) && !this.isStaged(key, now)) planned.set(key, { job, at, priority: jobPriority });
        };
        const plan = (job: NotificationJob, at: number) => {
          if (wake === 0 || !quietHoldsChannel(quietHours, job.channel)) return stage(job, at, priority);
          held.push({ userId: recipientId, channel: job.channel, messageId: message.id, wakeAt: new Date(wake) });
          stage({ recipientId, channel: job.channel, reason: 'quiet-hours', window: Math.floor(wake / 1000) }, wake, JOB_PRIORITY.NORMAL);
        };
        if (!online.has(recipientId)) {
          const about = (channel: NotificationChannel): NotificationJob => ({ recipientId, channel, reason: 'offline', messageId: message.id });
          if (channels.inApp) plan(about('in_app'), now);
          if (channels.push) plan(about('push'), now);
          if (channels.sms && high) plan(about('sms'), now);
        } else if (channels.inApp || channels.push) {
          const channel = channels.inApp ? 'in_app' : 'push';
          const reminder = {
            recipientId,
            channel,
            reason: 'unread',
            conversationId: message.conversationId,
            messageId: message.id,
            window: reminderWindow,
          } as const;
          plan(reminder, now + unreadAfterMs);
        }
        if (channels.email) {
          plan({ recipientId, channel: 'email', reason: 'unread', window: digest.seconds }, digest.startMs + digestWindowMs);
        }
      }
    }
    const jobs = [...planned.values()].map(({ job, at, priority }) => ({
      name: JOB.SEND_NOTIFICATION,
      payload: job,
      options: { priority, availableAt: new Date(at) },
    }));
    return { jobs, held };
  }

  /**
   * Remembers the reminders and digests of committed sends until their time, so the next
   * messages of the window stage nothing. Only after commit: a rolled-back plan is planned again.
   */
  remember(jobs: readonly StagedJob[]): void {
    for (const job of jobs) {
      if (job.jobName !== JOB.SEND_NOTIFICATION || (job.payload as Partial<NotificationJob>).window === undefined) continue;
      this.staged.set(job.jobId, job.availableAt.getTime());
    }
    if (this.staged.size > REMEMBERED_MAX) this.forgetPast(Date.now());
  }

  private isStaged(jobId: string, now: number): boolean {
    const until = this.staged.get(jobId);
    return until !== undefined && until > now;
  }

  private forgetPast(now: number): void {
    for (const [jobId, until] of this.staged) if (until <= now) this.staged.delete(jobId);
    // Still too many (a huge school at once): start over; the outbox and Bull dedupe by job id anyway.
    if (this.staged.size > REMEMBERED_MAX) this.staged.clear();
  }
}
