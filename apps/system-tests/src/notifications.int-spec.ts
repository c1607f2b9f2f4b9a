import { createECDH, randomBytes } from 'node:crypto';
import webPush from 'web-push';
import type { NotificationEvent } from '@mq/messaging-contracts';
import { ApiError, MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { PushPeer, SmtpPeer, sql, startPushPeer, startSmtpPeer, startTwilioPeer, TestStack, TwilioPeer } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

const UNREAD_AFTER_MS = 1_500;

function browserSubscription(origin: string, name: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `${origin}/push/${name}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

const hhmm = (date: Date) => date.toISOString().slice(11, 16);

describe('notifications: routed, on real transports', () => {
  let smtp: SmtpPeer;
  let push: PushPeer;
  let twilio: TwilioPeer;
  const twilioSid = `AC${'1'.repeat(32)}`;
  let stack: TestStack;
  let alice: Member;
  let users: Member[];
  const sockets: RealtimeConnection[] = [];

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    push = await startPushPeer();
    twilio = await startTwilioPeer();
    const vapid = webPush.generateVAPIDKeys();
    stack = await TestStack.start({
      apis: 1,
      env: {
        SMTP_URL: smtp.url,
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:it@school.test',
        NODE_EXTRA_CA_CERTS: push.caFile,
        NOTIFY_UNREAD_AFTER_MS: String(UNREAD_AFTER_MS),
        NOTIFY_DIGEST_WINDOW_MS: '2000',
        TWILIO_ACCOUNT_SID: twilioSid,
        TWILIO_AUTH_TOKEN: 'test-auth-token',
        TWILIO_FROM: '+15005550006',
        TWILIO_BASE_URL: twilio.baseUrl,
      },
    });
    const all = await stack.users(9);
    alice = all[0] as Member;
    users = all.slice(1);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
    await push?.close();
    await twilio?.close();
    await smtp?.close();
  });

  async function online(member: Member) {
    const connection = member.client.connect();
    sockets.push(connection);
    await connection.ready();
    const notifications: NotificationEvent[] = [];
    connection.on('notification:new', (n) => notifications.push(n));
    return { connection, notifications };
  }

  async function messageTo(member: Member, priority: 'high' | 'normal' = 'normal') {
    const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [member.id] });
    return (await alice.client.sendMessage({ conversationId: conversation.id, content: 'Reminder: forms due Friday', priority })).body.message;
  }

  const notificationsAbout = async (member: Member, messageId: string) => (await member.client.listNotifications()).filter((n) => n.messageId === messageId);

  it('notifies an offline recipient now, in-app and by web push', async () => {
    const bob = users[0] as Member;
    await bob.client.addPushSubscription(browserSubscription(push.origin, 'bob'));
    const message = await messageTo(bob);
    const rows = await eventually(async () => {
      const found = await notificationsAbout(bob, message.id);
      return found.length === 2 && found.every((n) => n.status === 'sent') ? found : undefined;
    }, 'both notifications sent');
    expect(rows.map((n) => n.channel).sort()).toEqual(['in_app', 'push']);
    expect(rows[0]?.title).toMatch(/^New message from /);
    expect(JSON.stringify(rows)).not.toContain('forms due Friday');
    const delivered = push.requests.filter((r) => r.path === '/push/bob');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.headers.authorization).toMatch(/^vapid t=/);
    expect(delivered[0]?.headers['content-encoding']).toBe('aes128gcm');
  });

  it('removes a push subscription the push service says is gone (410), and still reaches the other device', async () => {
    const ivan = users[7] as Member;
    await ivan.client.addPushSubscription(browserSubscription(push.origin, 'ivan-old-phone'));
    await ivan.client.addPushSubscription(browserSubscription(push.origin, 'ivan-laptop'));
    push.statusFor = (path) => (path === '/push/ivan-old-phone' ? 410 : 201);
    const message = await messageTo(ivan);
    await eventually(
      async () => ((await notificationsAbout(ivan, message.id)).some((n) => n.channel === 'push' && n.status === 'sent') ? true : undefined),
      'the push',
    );
    const subscriptions = await sql<{ endpoint: string }>(stack.database.url, `SELECT endpoint FROM push_subscriptions WHERE user_id = $1`, [ivan.id]);
    expect(subscriptions.map((s) => s.endpoint)).toEqual([`${push.origin}/push/ivan-laptop`]);
    push.statusFor = () => 201;
  });

  it('does not remind an online recipient who reads in time, and reminds once one who does not', async () => {
    const [, carol, dave] = users as [Member, Member, Member];
    const carolLive = await online(carol);
    const daveLive = await online(dave);
    const toCarol = await messageTo(carol);
    const toDave = await messageTo(dave);
    await carolLive.connection.ackRead(toCarol.id);

    await eventually(() => (daveLive.notifications.length >= 1 ? true : undefined), 'dave’s reminder', 15_000);
    // Both reminder jobs have run (Carol's found her message read) and no notification job is left for either.
    const admin = await stack.admin();
    const jobsFor = async (state: 'delayed' | 'waiting' | 'active' | 'completed') =>
      (await admin.operator.listQueueJobs('message-notification', { state, start: 0, end: 499 })).jobs.filter((job) =>
        [carol.id, dave.id].includes(job.data['recipientId'] as string),
      );
    await eventually(async () => {
      const done = await jobsFor('completed');
      const reminded = [toCarol, toDave].every((m) => done.some((job) => job.data['reason'] === 'unread' && job.data['conversationId'] === m.conversationId));
      if (!reminded) return undefined;
      // In the order jobs move through: one that moves on while this reads is seen in its next state.
      for (const state of ['delayed', 'waiting', 'active'] as const) if ((await jobsFor(state)).length > 0) return undefined;
      return true;
    }, 'both reminders to have run');
    expect(daveLive.notifications).toHaveLength(1);
    expect(await notificationsAbout(dave, toDave.id)).toEqual([expect.objectContaining({ channel: 'in_app', status: 'sent' })]);
    expect(carolLive.notifications).toHaveLength(0);
    expect(await notificationsAbout(carol, toCarol.id)).toEqual([]);
  });

  it('holds pushes in quiet hours, high priority too (only critical goes through), while in-app goes now', async () => {
    const erin = users[3] as Member;
    const now = new Date();
    await erin.client.addPushSubscription(browserSubscription(push.origin, 'erin'));
    await erin.client.updateNotificationPreferences({
      channels: { inApp: true, email: false, push: true, sms: false },
      quietHours: { start: hhmm(new Date(now.getTime() - 3600_000)), end: hhmm(new Date(now.getTime() + 3600_000)), timeZone: 'UTC' },
    });
    const normal = await messageTo(erin);
    const high = await messageTo(erin, 'high');
    const held = await eventually(async () => {
      const rows = await sql<{ message_id: string; channel: string }>(
        stack.database.url,
        `SELECT message_id, channel FROM held_notifications WHERE user_id = $1`,
        [erin.id],
      );
      return rows.length === 2 ? rows : undefined;
    }, 'the held pushes');
    expect(held.map((r) => [r.message_id, r.channel]).sort()).toEqual(
      [
        [normal.id, 'push'],
        [high.id, 'push'],
      ].sort(),
    );
    await eventually(async () => ((await notificationsAbout(erin, high.id)).some((n) => n.status === 'sent') ? true : undefined), 'the in-app one');
    expect((await notificationsAbout(erin, normal.id)).map((n) => n.channel)).toEqual(['in_app']);
    expect((await notificationsAbout(erin, high.id)).map((n) => n.channel)).toEqual(['in_app']);
    expect(push.requests.filter((r) => r.path === '/push/erin')).toEqual([]);
  });

  it('rejects quiet hours holding an unknown channel with a 400', async () => {
    const frank = users[4] as Member;
    const before = await frank.client.getNotificationPreferences();
    for (const channels of [['push', 'pager'], 'push', [1], ['push', 'push']]) {
      const quietHours = { start: '22:00', end: '07:00', timeZone: 'Europe/London', channels } as never;
      const error = await frank.client.updateNotificationPreferences({ channels: before.channels, quietHours }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as ApiError).status).toBe(400);
    }
    expect(await frank.client.getNotificationPreferences()).toEqual(before);
    const saved = { start: '22:00', end: '07:00', timeZone: 'Europe/London', channels: ['push' as const, 'in_app' as const] };
    expect((await frank.client.updateNotificationPreferences({ channels: before.channels, quietHours: saved })).quietHours).toEqual(saved);
    await frank.client.updateNotificationPreferences(before);
  });

  it('texts an offline recipient who opted into SMS, for a high-priority message only', async () => {
    const hana = users[6] as Member;
    const admin = await stack.admin();
    await admin.operator.updateUser(hana.id, { phone: '+447700900123' });
    await hana.client.updateNotificationPreferences({ channels: { inApp: true, email: false, push: false, sms: true }, quietHours: null });
    const normal = await messageTo(hana);
    const urgent = await messageTo(hana, 'high');
    await eventually(
      async () => ((await notificationsAbout(hana, urgent.id)).some((n) => n.channel === 'sms' && n.status === 'sent') ? true : undefined),
      'the SMS',
    );
    expect(twilio.sent).toEqual([
      expect.objectContaining({ account: twilioSid, to: '+447700900123', from: '+15005550006', body: expect.stringMatching(/^New message from/) }),
    ]);
    expect(twilio.sent[0]?.authorization).toBe(`Basic ${Buffer.from(`${twilioSid}:test-auth-token`).toString('base64')}`);
    expect(twilio.sent[0]?.body).not.toContain('forms due Friday');
    expect((await notificationsAbout(hana, normal.id)).map((n) => n.channel)).toEqual(['in_app']);
  });

  it('rejects bad preferences with a 400 and keeps the old ones', async () => {
    const frank = users[4] as Member;
    const before = await frank.client.getNotificationPreferences();
    for (const quietHours of [
      { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' },
      { start: '25:00', end: '07:00', timeZone: 'Europe/London' },
    ]) {
      const error = await frank.client.updateNotificationPreferences({ channels: before.channels, quietHours }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
    }
    expect(await frank.client.getNotificationPreferences()).toEqual(before);
  });

  it('dead-letters a digest email the SMTP server refuses with 550, and a replay after the fix sends exactly one', async () => {
    const gina = users[5] as Member;
    const me = await gina.client.me();
    smtp.reject = (recipient) => (recipient === me.email ? { code: 550, message: '5.1.1 Mailbox unavailable' } : undefined);
    await messageTo(gina);
    const deadLetter = await eventually(
      async () =>
        (
          await sql<{ id: string; failed_reason: string; job_id: string }>(
            stack.database.url,
            `SELECT id, failed_reason, job_id FROM dead_letters WHERE job_name = 'send-notification' AND job_id LIKE $1`,
            [`%:${gina.id}:email`],
          )
        )[0],
      'the refused digest in the dead letters',
      30_000,
    ).catch(async (error: unknown) => {
      console.log(await sql(stack.database.url, `SELECT channel, status, error, dedupe_key, attempts FROM notifications WHERE user_id = $1`, [gina.id]));
      console.log(stack.worker?.tail(30));
      throw error;
    });
    expect(deadLetter.failed_reason).toMatch(/550/);
    expect(smtp.mails.filter((m) => m.to.includes(me.email))).toHaveLength(0);

    smtp.reject = undefined;
    const admin = await stack.admin();
    await admin.operator.replayDeadLetter(deadLetter.id);
    await eventually(() => (smtp.mails.some((m) => m.to.includes(me.email)) ? true : undefined), 'the email after the replay');
    // A replay runs the job again; each must end before the next is judged: the first has marked its row sent...
    const finished = async (jobId: string) =>
      eventually(async () => {
        const job = await admin.operator.getJob(jobId);
        return job.state === 'completed' || job.state === 'failed' ? job : undefined;
      }, `replayed job ${jobId} to finish`);
    expect(await finished(deadLetter.job_id)).toMatchObject({ state: 'completed', returnvalue: expect.objectContaining({ outcome: 'sent' }) });
    await admin.operator.replayDeadLetter(deadLetter.id);
    // ...and the second, a new job as the first is no longer failed, found it sent and sent nothing.
    const replayJobId = (await admin.operator.listDeadLetters()).find((d) => d.id === deadLetter.id)?.replayJobId;
    expect(replayJobId).toMatch(/:replay-/);
    expect(await finished(replayJobId as string)).toMatchObject({ state: 'completed', returnvalue: expect.objectContaining({ outcome: 'already-sent' }) });
    const mails = smtp.mails.filter((m) => m.to.includes(me.email));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.raw).toMatch(/Subject: You have 1 unread message/);
    expect(mails[0]?.raw).not.toContain('forms due Friday');
  }, 60_000);
});
