import { MessageEntity } from '@mq/db';
import { PresenceService, StagedJob } from '@mq/messaging';
import { DEFAULT_PREFERENCES } from '@mq/messaging-contracts';
import { JOB, JOB_PRIORITY, NotificationJob, jobIdFor } from '@mq/queue-contracts';
import { WorkerConfig } from '../worker.config';
import { NotificationRouter } from './notification.router';

const UNREAD_AFTER_MS = 30_000;
const DIGEST_WINDOW_MS = 600_000;
const conversationId = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
const otherConversationId = '1b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
const online = '2b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
const offline = '3b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';

function router(): NotificationRouter {
  const presence = { onlineUsers: async (ids: readonly string[]) => new Set(ids.filter((id) => id === online)) } as unknown as PresenceService;
  const config = { notifications: { unreadAfterMs: UNREAD_AFTER_MS, digestWindowMs: DIGEST_WINDOW_MS } } as unknown as WorkerConfig;
  return new NotificationRouter(presence, config);
}

const sentAt = Date.UTC(2026, 2, 2, 9, 0, 9);

function message(
  n: number,
  inConversation = conversationId,
  priority: MessageEntity['priority'] = 'normal',
  createdAt = new Date(sentAt),
  critical = false,
): MessageEntity {
  return Object.assign(new MessageEntity(), {
    id: `4b8f0c3e-1e7a-4c55-9a51-${String(n).padStart(12, '0')}`,
    conversationId: inConversation,
    priority,
    critical,
    createdAt,
  });
}

/** What staging would hand back for planned jobs (the router only reads these fields). */
function staged({ jobs: entries }: Awaited<ReturnType<NotificationRouter['plan']>>): StagedJob[] {
  return entries.map((entry, i) => ({
    id: String(i + 1),
    jobId: jobIdFor(JOB.SEND_NOTIFICATION, entry.payload),
    jobName: JOB.SEND_NOTIFICATION,
    payload: { ...entry.payload },
    priority: 5,
    availableAt: entry.options?.availableAt ?? new Date(),
  }));
}

const payloads = (plan: Awaited<ReturnType<NotificationRouter['plan']>>) => plan.jobs.map((e) => e.payload as NotificationJob);

describe('NotificationRouter', () => {
  const now = Date.UTC(2026, 2, 2, 9, 0, 10);
  const preferences = new Map([
    [online, DEFAULT_PREFERENCES],
    [offline, DEFAULT_PREFERENCES],
  ]);

  it('notifies an offline recipient per message now, and reminds an online one once per conversation and window', async () => {
    const planned = await router().plan(
      [1, 2, 3].map((n) => ({ message: message(n), recipientIds: [online, offline] })),
      preferences,
      now,
    );
    const jobs = payloads(planned);
    expect(jobs.filter((j) => j.recipientId === offline && j.reason === 'offline').map((j) => [j.channel, j.messageId])).toEqual([
      ['in_app', message(1).id],
      ['push', message(1).id],
      ['in_app', message(2).id],
      ['push', message(2).id],
      ['in_app', message(3).id],
      ['push', message(3).id],
    ]);
    const reminders = planned.jobs.filter((e) => (e.payload as NotificationJob).reason === 'unread' && e.payload.channel !== 'email');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]?.payload).toEqual({
      recipientId: online,
      channel: 'in_app',
      reason: 'unread',
      conversationId,
      messageId: message(1).id,
      window: Math.floor((Math.floor(now / UNREAD_AFTER_MS) * UNREAD_AFTER_MS) / 1000),
    });
    expect(reminders[0]?.options?.availableAt).toEqual(new Date(now + UNREAD_AFTER_MS));
    // One email digest per user and window, whatever the number of messages.
    expect(
      jobs
        .filter((j) => j.channel === 'email')
        .map((j) => j.recipientId)
        .sort(),
    ).toEqual([online, offline].sort());
  });

  it('gives another conversation its own reminder, and the next window a new one', async () => {
    const subject = router();
    const first = await subject.plan(
      [
        { message: message(1), recipientIds: [online] },
        { message: message(2, otherConversationId), recipientIds: [online] },
      ],
      preferences,
      now,
    );
    expect(
      payloads(first)
        .filter((j) => j.channel === 'in_app')
        .map((j) => j.conversationId),
    ).toEqual([conversationId, otherConversationId]);
    const later = await subject.plan([{ message: message(3), recipientIds: [online] }], preferences, now + UNREAD_AFTER_MS);
    expect(
      payloads(later)
        .filter((j) => j.channel === 'in_app')
        .map((j) => j.messageId),
    ).toEqual([message(3).id]);
  });

  it('stages a reminder or digest once: after a committed plan, the window’s next messages plan nothing but offline notices', async () => {
    const subject = router();
    const first = await subject.plan([{ message: message(1), recipientIds: [online, offline] }], preferences, now);
    subject.remember(staged(first));
    const next = await subject.plan([{ message: message(2), recipientIds: [online, offline] }], preferences, now + 1_000);
    expect(payloads(next).map((j) => [j.recipientId, j.channel, j.reason])).toEqual([
      [offline, 'in_app', 'offline'],
      [offline, 'push', 'offline'],
    ]);
  });

  it('plans the digest of the window the message was sent in, even when the plan runs after that window ended', async () => {
    const windowEnd = Math.ceil(now / DIGEST_WINDOW_MS) * DIGEST_WINDOW_MS;
    const lastInstant = message(1, conversationId, 'normal', new Date(windowEnd - 1));
    const planned = await router().plan([{ message: lastInstant, recipientIds: [offline] }], preferences, windowEnd + 50);
    const digest = planned.jobs.find((e) => e.payload.channel === 'email');
    expect(digest?.payload).toEqual({ recipientId: offline, channel: 'email', reason: 'unread', window: (windowEnd - DIGEST_WINDOW_MS) / 1000 });
    expect(digest?.options?.availableAt).toEqual(new Date(windowEnd));
  });

  it('plans again what a rolled-back plan left unstaged', async () => {
    const subject = router();
    const first = await subject.plan([{ message: message(1), recipientIds: [online] }], preferences, now);
    // Not remembered: its transaction did not commit.
    const again = await subject.plan([{ message: message(2), recipientIds: [online] }], preferences, now + 1_000);
    expect(payloads(again).map((j) => j.channel)).toEqual(payloads(first).map((j) => j.channel));
  });

  describe('quiet hours', () => {
    // 09:00:10 UTC is 18:00:10 in Tokyo, inside 17:00-08:00; the period ends at 08:00 JST = 23:00 UTC.
    const quiet = { start: '17:00', end: '08:00', timeZone: 'Asia/Tokyo' };
    const wake = Date.UTC(2026, 2, 2, 23, 0, 0);
    const sleeping = new Map([[offline, { channels: { inApp: true, email: true, push: true, sms: true }, quietHours: quiet }]]);

    it('holds the held channels as items with ONE wake job per channel, and lets in-app go now', async () => {
      const planned = await router().plan(
        [1, 2, 3].map((n) => ({ message: message(n, conversationId, n === 3 ? 'high' : 'normal'), recipientIds: [offline] })),
        sleeping,
        now,
      );
      expect(planned.jobs.filter((j) => j.payload.reason === 'offline').map((j) => [j.payload.channel, j.options?.availableAt])).toEqual(
        [1, 2, 3].map(() => ['in_app', new Date(now)]),
      );
      const wakeJobs = planned.jobs.filter((j) => j.payload.reason === 'quiet-hours');
      expect(wakeJobs.map((j) => [j.payload.channel, j.payload.window, j.options?.availableAt]).sort()).toEqual(
        [
          ['email', wake / 1000, new Date(wake)],
          ['push', wake / 1000, new Date(wake)],
          ['sms', wake / 1000, new Date(wake)],
        ].sort(),
      );
      // Push for each message, the email, and SMS for the high-priority one only: high priority is held too.
      expect(planned.held.map((h) => [h.channel, h.messageId]).sort()).toEqual(
        [
          ['push', message(1).id],
          ['push', message(2).id],
          ['push', message(3).id],
          ['email', message(1).id],
          ['email', message(2).id],
          ['email', message(3).id],
          ['sms', message(3).id],
        ].sort(),
      );
      expect(new Set(planned.held.map((h) => h.wakeAt.getTime()))).toEqual(new Set([wake]));
    });

    it('stages the wake job once per period: the next plan holds the item but stages nothing new', async () => {
      const subject = router();
      const first = await subject.plan([{ message: message(1), recipientIds: [offline] }], sleeping, now);
      subject.remember(staged(first));
      const next = await subject.plan([{ message: message(2), recipientIds: [offline] }], sleeping, now + 60_000);
      expect(next.jobs.map((j) => j.payload.reason)).toEqual(['offline']);
      expect(next.held.map((h) => h.channel).sort()).toEqual(['email', 'push']);
    });

    it('lets a critical message through on every channel, now and at high priority', async () => {
      const planned = await router().plan([{ message: message(1, conversationId, 'normal', new Date(sentAt), true), recipientIds: [offline] }], sleeping, now);
      expect(planned.held).toEqual([]);
      const perMessage = planned.jobs.filter((j) => j.payload.reason === 'offline');
      expect(perMessage.map((j) => j.payload.channel).sort()).toEqual(['in_app', 'push', 'sms']);
      expect(perMessage.every((j) => j.options?.availableAt?.getTime() === now && j.options.priority === JOB_PRIORITY.HIGH)).toBe(true);
    });

    it('holds only the channels the user chose, and nothing outside the window', async () => {
      const pushOnly = new Map([
        [offline, { channels: { inApp: true, email: false, push: true, sms: false }, quietHours: { ...quiet, channels: ['in_app' as const] } }],
      ]);
      const planned = await router().plan([{ message: message(1), recipientIds: [offline] }], pushOnly, now);
      expect(planned.held.map((h) => h.channel)).toEqual(['in_app']);
      expect(planned.jobs.map((j) => [j.payload.channel, j.payload.reason]).sort()).toEqual(
        [
          ['in_app', 'quiet-hours'],
          ['push', 'offline'],
        ].sort(),
      );
      const awake = await router().plan([{ message: message(1), recipientIds: [offline] }], sleeping, wake);
      expect(awake.held).toEqual([]);
    });
  });
});
