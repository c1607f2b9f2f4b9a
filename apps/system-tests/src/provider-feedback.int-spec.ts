import { createECDH, createHmac, randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import webPush from 'web-push';
import type { AppNotification } from '@mq/messaging-contracts';
import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { PushPeer, SmtpPeer, TestStack, TwilioPeer, freePort, sql, startPushPeer, startSmtpPeer, startTwilioPeer } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

const SIGNING_KEY = 'mailgun-signing-key-0123456789abcdef';
const TWILIO_TOKEN = 'test-auth-token';
const PUBLIC_BASE_URL = 'https://school.example.org/api';
const BOUNCE_DOMAIN = 'bounces.school.test';

function browserSubscription(origin: string, name: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `${origin}/push/${name}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

/** Mailgun's webhook body for one event, signed as Mailgun signs it (or with another key). */
function mailgunEvent(event: Record<string, unknown>, key = SIGNING_KEY, timestamp = Math.floor(Date.now() / 1000)) {
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', key).update(`${timestamp}${token}`).digest('hex');
  return { signature: { timestamp: String(timestamp), token, signature }, 'event-data': { id: randomBytes(8).toString('hex'), timestamp, ...event } };
}

/** A delivery status notification (RFC 3464) as a receiving MTA sends it back to the envelope sender. */
function dsn(to: string, messageId: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.school.test>',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"',
    '',
    '--dsn-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered to one or more recipients.',
    '--dsn-boundary',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.school.test',
    '',
    'Final-Recipient: rfc822; parent@school.test',
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 <parent@school.test>: Recipient address rejected',
    '',
    '--dsn-boundary',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${messageId}`,
    '--dsn-boundary--',
    '',
  ].join('\r\n');
}

describe('provider feedback and fallback between channels', () => {
  let smtp: SmtpPeer;
  let push: PushPeer;
  let twilio: TwilioPeer;
  let stack: TestStack;
  let bouncePort: number;
  let alice: Member;
  let users: Member[];
  let admin: MessagingClient;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    push = await startPushPeer();
    twilio = await startTwilioPeer();
    bouncePort = await freePort();
    const vapid = webPush.generateVAPIDKeys();
    stack = await TestStack.start({
      apis: 1,
      env: {
        SMTP_URL: smtp.url,
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:it@school.test',
        NODE_EXTRA_CA_CERTS: push.caFile,
        TWILIO_ACCOUNT_SID: `AC${'2'.repeat(32)}`,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: '+15005550006',
        TWILIO_BASE_URL: twilio.baseUrl,
        // Digests are not what these tests are about: their window outlasts the file.
        NOTIFY_DIGEST_WINDOW_MS: String(3_600_000),
        PUBLIC_BASE_URL,
        MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY,
        BOUNCE_DOMAIN,
        BOUNCE_SMTP_PORT: String(bouncePort),
        BOUNCE_SMTP_HOST: '127.0.0.1',
      },
    });
    const all = await stack.users(8);
    alice = all[0] as Member;
    users = all.slice(1);
    admin = await stack.admin();
  });

  afterAll(async () => {
    await stack?.stop();
    await push?.close();
    await twilio?.close();
    await smtp?.close();
  });

  /** The api behind the proxy that PUBLIC_BASE_URL names. */
  const toApi = (publicUrl: string) => `${stack.api().url}${publicUrl.slice(PUBLIC_BASE_URL.length)}`;

  async function postMailgun(body: unknown): Promise<number> {
    const response = await fetch(`${stack.api().url}/providers/mailgun/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.status;
  }

  async function messageTo(member: Member, priority: 'high' | 'normal' = 'normal') {
    const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [member.id] });
    return (await alice.client.sendMessage({ conversationId: conversation.id, content: 'Trip money due Monday', priority })).body.message;
  }

  async function prepare(member: Member, phone: string, channels: { push: boolean; email: boolean; sms: boolean }, channelOrder: ('push' | 'email' | 'sms')[]) {
    await admin.operator.updateUser(member.id, { phone });
    const saved = await member.client.updateNotificationPreferences({ channels: { inApp: true, ...channels }, quietHours: null, channelOrder });
    expect(saved.channelOrder).toEqual(channelOrder);
    return (await member.client.me()).email;
  }

  const about = async (member: Member, messageId: string, channel: string, status?: string): Promise<AppNotification | undefined> =>
    (await member.client.listNotifications()).find((n) => n.messageId === messageId && n.channel === channel && (!status || n.status === status));

  const providerState = async (notificationId: string) =>
    (
      await sql<{ providerStatus: string | null; providerId: string | null; fallbackOf: string | null }>(
        stack.database.url,
        `SELECT provider_status AS "providerStatus", provider_id AS "providerId", fallback_of AS "fallbackOf" FROM notifications WHERE id = $1`,
        [notificationId],
      )
    )[0];

  it('validates channelOrder: known channels, each once; a bad one is a 400 and changes nothing', async () => {
    const hal = users[6] as Member;
    const channels = { inApp: true, email: true, push: true, sms: false };
    await hal.client.updateNotificationPreferences({ channels, quietHours: null, channelOrder: ['email', 'push'] });
    for (const channelOrder of [['email', 'email'], ['in_app'], ['fax'], 'email', [1], ['push', 'email', 'sms', 'push']]) {
      const status = await hal.client.updateNotificationPreferences({ channels, quietHours: null, channelOrder } as never).then(
        () => 200,
        (error: { status?: number }) => error.status,
      );
      expect([JSON.stringify(channelOrder), status]).toEqual([JSON.stringify(channelOrder), 400]);
    }
    expect((await hal.client.getNotificationPreferences()).channelOrder).toEqual(['email', 'push']);
    // Left out, the saved order stays; fresh users have none.
    expect((await hal.client.updateNotificationPreferences({ channels, quietHours: null })).channelOrder).toEqual(['email', 'push']);
    expect((await alice.client.getNotificationPreferences()).channelOrder).toEqual([]);
  });

  it('push gone -> email with a VERP Return-Path -> Mailgun bounce -> one SMS; all of it in the timeline', async () => {
    const bob = users[0] as Member;
    const email = await prepare(bob, '+447700900201', { push: true, email: true, sms: true }, ['push', 'email', 'sms']);
    await bob.client.addPushSubscription(browserSubscription(push.origin, 'bob-gone'));
    push.statusFor = (path) => (path === '/push/bob-gone' ? 410 : 201);
    const message = await messageTo(bob);

    const mailed = await eventually(() => about(bob, message.id, 'email', 'sent'), 'the email fallback');
    expect(await about(bob, message.id, 'push', 'failed')).toBeDefined();
    const mail = smtp.mails.find((m) => m.to.includes(email));
    expect(mail?.from).toBe(`bounces+${mailed.id}@${BOUNCE_DOMAIN}`);
    expect(mail?.raw).toContain(`Message-ID: <${mailed.id}@${BOUNCE_DOMAIN}>`);
    expect(await providerState(mailed.id)).toMatchObject({ providerId: `${mailed.id}@${BOUNCE_DOMAIN}` });

    const bounce = (ts?: number) =>
      mailgunEvent(
        {
          event: 'failed',
          severity: 'permanent',
          recipient: email,
          'delivery-status': { code: 550, description: `No such mailbox ${email}` },
          message: { headers: { 'message-id': `${mailed.id}@${BOUNCE_DOMAIN}` } },
        },
        SIGNING_KEY,
        ts,
      );
    expect(await postMailgun(bounce())).toBe(204);
    const texted = await eventually(() => about(bob, message.id, 'sms', 'sent'), 'the SMS fallback');
    expect(await providerState(texted.id)).toMatchObject({ fallbackOf: mailed.id, providerId: expect.stringMatching(/^SM/) });
    // Mailgun retries its webhooks: the same bounce again queues the same job, which already ran.
    expect(await postMailgun(bounce())).toBe(204);
    const job = await admin.operator.getJob(`notify:fallback-${mailed.id}:${bob.id}:sms`);
    expect(job.returnvalue).toMatchObject({ outcome: 'sent' });
    expect(twilio.sent.filter((m) => m.to === '+447700900201')).toHaveLength(1);
    expect(twilio.sent.find((m) => m.to === '+447700900201')?.statusCallback).toBe(`${PUBLIC_BASE_URL}/providers/twilio/status`);

    const { events } = await admin.operator.getMessageTimeline(message.id);
    const feedback = events.filter((e) => e.kind === 'notification-feedback').map((e) => e.detail);
    expect(feedback).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^push notification .*: undelivered/),
        expect.stringMatching(/^email notification .*: bounced \(provider\): 550 No such mailbox \[address\]/),
      ]),
    );
    expect(
      events.some(
        (e) => e.kind === 'notification' && e.detail.startsWith(`sms notification ${texted.id}`) && e.detail.includes(`fallback for notification ${mailed.id}`),
      ),
    ).toBe(true);
    push.statusFor = () => 201;
  });

  it('refuses a bad or stale Mailgun signature and a bad Twilio signature with 403, changing nothing', async () => {
    const carol = users[1] as Member;
    await prepare(carol, '+447700900202', { push: false, email: true, sms: true }, ['sms', 'email']);
    const message = await messageTo(carol, 'high');
    const texted = await eventually(() => about(carol, message.id, 'sms', 'sent'), 'the SMS');
    const sid = (await providerState(texted.id))?.providerId as string;

    const event = { event: 'failed', severity: 'permanent', message: { headers: { 'message-id': `${texted.id}@${BOUNCE_DOMAIN}` } } };
    expect(await postMailgun(mailgunEvent(event, 'another-key-0123456789abcdef'))).toBe(403);
    expect(await postMailgun(mailgunEvent(event, SIGNING_KEY, Math.floor(Date.now() / 1000) - 3600))).toBe(403);
    expect(await twilio.report(sid, 'undelivered', { authToken: 'wrong-auth-token', deliverTo: toApi })).toBe(403);
    expect(await twilio.report(sid, 'undelivered', { authToken: TWILIO_TOKEN, deliverTo: toApi, signature: '' })).toBe(403);
    // Signed for another URL (a forged callback replayed elsewhere) is refused too.
    expect(await twilio.report(sid, 'undelivered', { authToken: TWILIO_TOKEN, deliverTo: (url) => `${toApi(url)}?replayed=1` })).toBe(403);
    expect(await providerState(texted.id)).toMatchObject({ providerStatus: null });
    await expect(admin.operator.getJob(`notify:fallback-${texted.id}:${carol.id}:email`)).rejects.toMatchObject({ status: 404 });
  });

  it('SMS delivered: a late undelivered report changes nothing and no email is sent', async () => {
    const dave = users[2] as Member;
    const email = await prepare(dave, '+447700900203', { push: false, email: true, sms: true }, ['sms', 'email']);
    const message = await messageTo(dave, 'high');
    const texted = await eventually(() => about(dave, message.id, 'sms', 'sent'), 'the SMS');
    const sid = (await providerState(texted.id))?.providerId as string;
    expect(await twilio.report(sid, 'sent', { authToken: TWILIO_TOKEN, deliverTo: toApi })).toBe(204);
    expect(await providerState(texted.id)).toMatchObject({ providerStatus: null });
    expect(await twilio.report(sid, 'delivered', { authToken: TWILIO_TOKEN, deliverTo: toApi })).toBe(204);
    expect(await providerState(texted.id)).toMatchObject({ providerStatus: 'delivered' });
    expect(await twilio.report(sid, 'undelivered', { authToken: TWILIO_TOKEN, deliverTo: toApi, errorCode: '30003' })).toBe(204);
    expect(await providerState(texted.id)).toMatchObject({ providerStatus: 'delivered' });
    await expect(admin.operator.getJob(`notify:fallback-${texted.id}:${dave.id}:email`)).rejects.toMatchObject({ status: 404 });
    expect(smtp.mails.filter((m) => m.to.includes(email))).toEqual([]);
  });

  it('read in the app before the SMS failed: the fallback email is not sent', async () => {
    const erin = users[3] as Member;
    const email = await prepare(erin, '+447700900204', { push: false, email: true, sms: true }, ['sms', 'email']);
    const message = await messageTo(erin, 'high');
    const texted = await eventually(() => about(erin, message.id, 'sms', 'sent'), 'the SMS');
    await erin.client.markRead(message.id);
    const sid = (await providerState(texted.id))?.providerId as string;
    expect(await twilio.report(sid, 'undelivered', { authToken: TWILIO_TOKEN, deliverTo: toApi, errorCode: '30005' })).toBe(204);
    expect(await providerState(texted.id)).toMatchObject({ providerStatus: 'undelivered' });
    const job = await eventually(async () => {
      const found = await admin.operator.getJob(`notify:fallback-${texted.id}:${erin.id}:email`).catch(() => undefined);
      return found?.state === 'completed' ? found : undefined;
    }, 'the fallback job');
    expect(job.returnvalue).toEqual({ outcome: 'skipped', reason: 'read before the fallback went out' });
    expect(smtp.mails.filter((m) => m.to.includes(email))).toEqual([]);
  });

  it('a DSN over SMTP to the bounce receiver marks the email bounced; other mailboxes are refused', async () => {
    const frank = users[4] as Member;
    const email = await prepare(frank, '+447700900205', { push: true, email: true, sms: false }, ['push', 'email']);
    await frank.client.addPushSubscription(browserSubscription(push.origin, 'frank-gone'));
    push.statusFor = (path) => (path === '/push/frank-gone' ? 404 : 201);
    const message = await messageTo(frank);
    const mailed = await eventually(() => about(frank, message.id, 'email', 'sent'), 'the email fallback');
    push.statusFor = () => 201;
    const mail = smtp.mails.find((m) => m.to.includes(email));
    expect(mail?.from).toBe(`bounces+${mailed.id}@${BOUNCE_DOMAIN}`);

    const mta = createTransport({ host: '127.0.0.1', port: bouncePort, secure: false, ignoreTLS: true, logger: false });
    try {
      await expect(
        mta.sendMail({ envelope: { from: 'MAILER-DAEMON@mx.school.test', to: `someone@${BOUNCE_DOMAIN}` }, raw: dsn(`someone@${BOUNCE_DOMAIN}`, '<x@y>') }),
      ).rejects.toMatchObject({ responseCode: 550 });
      const returnPath = mail?.from as string;
      await mta.sendMail({ envelope: { from: 'MAILER-DAEMON@mx.school.test', to: returnPath }, raw: dsn(returnPath, `<${mailed.id}@${BOUNCE_DOMAIN}>`) });
    } finally {
      mta.close();
    }
    expect(await providerState(mailed.id)).toMatchObject({ providerStatus: 'bounced' });
    const { events } = await admin.operator.getMessageTimeline(message.id);
    expect(events.map((e) => e.detail)).toContainEqual(
      expect.stringMatching(new RegExp(`^email notification ${mailed.id} .*: bounced \\(provider\\): DSN 5\\.1\\.1`)),
    );
  });

  it('while the SMS circuit is open, the next channel is used instead of waiting', async () => {
    const gina = users[5] as Member;
    const email = await prepare(gina, '+447700900206', { push: false, email: true, sms: true }, ['sms', 'email']);
    twilio.failWith = 503;
    try {
      // Five provider failures in a row open the circuit (DEFAULT_FAILURE_THRESHOLD).
      const messages = [];
      for (let i = 0; i < 6; i++) messages.push(await messageTo(gina, 'high'));
      const fellBack = await eventually(async () => {
        const rows = await sql<{ id: string; error: string | null; fallback: string | null }>(
          stack.database.url,
          `SELECT s.id, s.error, e.id AS fallback FROM notifications s JOIN notifications e ON e.fallback_of = s.id AND e.status = 'sent'
           WHERE s.user_id = $1 AND s.channel = 'sms' AND s.status = 'skipped'`,
          [gina.id],
        );
        return rows[0];
      }, 'an SMS that fell back to email while the circuit was open');
      expect(fellBack.error).toMatch(/the sms circuit is open/);
      expect(smtp.mails.some((m) => m.to.includes(email) && m.raw.includes(`Message-ID: <${fellBack.fallback}@${BOUNCE_DOMAIN}>`))).toBe(true);
      expect(twilio.sent.filter((m) => m.to === '+447700900206')).toEqual([]);
    } finally {
      twilio.failWith = undefined;
    }
  });
});
