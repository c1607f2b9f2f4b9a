import { createECDH, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import webPush from 'web-push';
import { ApiError, MessagingClient, RealtimeAckError, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { PushPeer, sql, startPushPeer, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

/** The sleeper's zone: not UTC, so the window is set in local time. */
const ZONE = 'America/New_York';
/** How long the test gives itself before quiet hours end: time to send, hold and check. */
const LEAD_MS = 25_000;

function browserSubscription(origin: string, name: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `${origin}/push/${name}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

describe('quiet hours with critical bypass (built api and worker, real push peer)', () => {
  let push: PushPeer;
  let stack: TestStack;
  let admin: Member;
  let nurse: Member;
  let sleeper: Member;
  const sockets: RealtimeConnection[] = [];

  beforeAll(async () => {
    push = await startPushPeer();
    const vapid = webPush.generateVAPIDKeys();
    stack = await TestStack.start({
      apis: 1,
      env: {
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:it@school.test',
        NODE_EXTRA_CA_CERTS: push.caFile,
      },
    });
    const adminClient = await stack.admin();
    admin = { id: (await adminClient.me()).id, client: adminClient };
    [nurse, sleeper] = (await stack.users(2, 0, 'quiet')) as [Member, Member];
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
    await push?.close();
  });

  const pushesTo = (name: string) => push.requests.filter((r) => r.path === `/push/${name}`);
  const held = (userId: string) =>
    sql<{ message_id: string; channel: string; wake_at: Date; released_at: Date | null }>(
      stack.database.url,
      `SELECT message_id, channel, wake_at, released_at FROM held_notifications WHERE user_id = $1`,
      [userId],
    );
  const messagesIn = async (conversationId: string) =>
    (await sql<{ n: number }>(stack.database.url, `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [conversationId]))[0]?.n;

  async function conversationWith(from: Member, to: Member): Promise<string> {
    return (await from.client.createConversation({ type: 'direct', participantIds: [to.id] })).body.id;
  }

  it('refuses critical from a role not in CRITICAL_SENDER_ROLES with a 403, over REST and the socket, writing nothing', async () => {
    const conversationId = await conversationWith(nurse, sleeper);
    const before = await messagesIn(conversationId);
    const error = await nurse.client.sendMessage({ conversationId, content: 'Fire drill now', critical: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(403);
    expect((error as ApiError).message).toMatch(/Only admin may mark a message critical/);

    const socket = nurse.client.connect();
    sockets.push(socket);
    await socket.ready();
    const ack = await socket.sendViaSocket({ conversationId, content: 'Fire drill now', clientMessageId: 'critical-1', critical: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ack).toBeInstanceOf(RealtimeAckError);
    expect((ack as RealtimeAckError).statusCode).toBe(403);
    socket.disconnect();

    expect(await messagesIn(conversationId)).toBe(before);
    const audit = await sql(stack.database.url, `SELECT 1 FROM audit_log WHERE action LIKE 'message.%' AND actor_id = $1`, [nurse.id]);
    expect(audit).toEqual([]);
  });

  it('holds normal and high-priority pushes, lets a critical one through at once, and sends ONE digest of exactly the held unread ones at wake', async () => {
    await sleeper.client.addPushSubscription(browserSubscription(push.origin, 'sleeper'));
    // Quiet since an hour ago, until the first whole minute at least LEAD_MS away, in the sleeper's own zone.
    const now = DateTime.now().setZone(ZONE);
    const end = now.plus({ milliseconds: LEAD_MS }).plus({ minutes: 1 }).startOf('minute');
    await sleeper.client.updateNotificationPreferences({
      channels: { inApp: true, email: false, push: true, sms: false },
      quietHours: { start: now.minus({ hours: 1 }).toFormat('HH:mm'), end: end.toFormat('HH:mm'), timeZone: ZONE },
    });
    const fromNurse = await conversationWith(nurse, sleeper);
    const fromAdmin = await conversationWith(admin, sleeper);
    const send = async (from: Member, conversationId: string, extra: { priority?: 'high'; critical?: true } = {}) =>
      (await from.client.sendMessage({ conversationId, content: 'Medication change for Sam', ...extra })).body.message;

    const first = await send(nurse, fromNurse);
    const urgent = await send(nurse, fromNurse, { priority: 'high' });
    const second = await send(admin, fromAdmin);
    const readEarly = await send(admin, fromAdmin);
    const rows = await eventually(async () => {
      const found = await held(sleeper.id);
      return found.length === 4 ? found : undefined;
    }, 'four held pushes');
    expect(rows.map((r) => r.message_id).sort()).toEqual([first.id, urgent.id, second.id, readEarly.id].sort());
    expect(new Set(rows.map((r) => r.wake_at.toISOString()))).toEqual(new Set([end.toUTC().toISO()]));
    // In-app is not a held channel: those went out now.
    await eventually(async () => {
      const inApp = (await sleeper.client.listNotifications()).filter((n) => n.channel === 'in_app' && n.status === 'sent');
      return inApp.length === 4 ? true : undefined;
    }, 'the in-app notifications');
    await sleeper.client.markRead(readEarly.id);

    const critical = await send(admin, fromAdmin, { critical: true });
    await eventually(() => (pushesTo('sleeper').length === 1 ? true : undefined), 'the critical push');
    expect(Date.now()).toBeLessThan(end.toMillis());
    // The peer has it before the worker records the provider's answer: wait for the row, not for the push.
    await eventually(
      async () => (await sleeper.client.listNotifications()).find((n) => n.channel === 'push' && n.status === 'sent' && n.messageId === critical.id),
      'the critical push recorded sent',
    );
    const audit = await sql<{ actor_id: string; detail: unknown }>(
      stack.database.url,
      `SELECT actor_id, detail FROM audit_log WHERE action = 'message.critical' AND target = $1`,
      [critical.id],
    );
    expect(audit).toEqual([{ actor_id: admin.id, detail: { conversationId: fromAdmin } }]);

    // Wake: one push, the digest, listing the three still unread (not the one read in the app), who from, never what.
    const digest = await eventually(
      async () => (await sleeper.client.listNotifications()).find((n) => n.channel === 'push' && n.status === 'sent' && n.messageId === null),
      'the wake digest',
      end.toMillis() - Date.now() + 30_000,
    );
    expect(digest.title).toBe('3 messages during quiet hours');
    expect(digest.body).toMatch(/^From quiet 0 and .+\. Open the app to read them\.$/);
    expect(JSON.stringify(digest)).not.toContain('Medication');
    expect(new Date(digest.createdAt).getTime()).toBeGreaterThanOrEqual(end.toMillis());
    expect(pushesTo('sleeper')).toHaveLength(2);
    expect((await held(sleeper.id)).every((r) => r.released_at !== null)).toBe(true);

    // One wake job for the four held pushes (its id names the period's end); it finished, sent, and nothing more went out.
    const wakeJob = await eventually(async () => {
      const job = await admin.client.operator.getJob(`notify:quiet-${end.toSeconds()}:${sleeper.id}:push`);
      return job.state === 'completed' ? job : undefined;
    }, 'the wake job to complete');
    expect(wakeJob.returnvalue).toMatchObject({ outcome: 'sent' });
    expect(pushesTo('sleeper')).toHaveLength(2);
  }, 150_000);
});
