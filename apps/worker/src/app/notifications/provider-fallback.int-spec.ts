import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { NotificationSettingsRepository } from '@mq/db';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { ConversationKeyService, MessageCrypto } from '@mq/messaging';
import { MessageQueueService, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig, waitForQueuesIdle } from '@mq/queue/testing';
import { QUEUE } from '@mq/queue-contracts';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';
import { BounceReceiver } from './bounce.receiver';

/**
 * Fallback inside the real worker (Postgres, Redis, processors) with local peers: an SMTP
 * server that refuses one mailbox for good (550), a server speaking Twilio's Messages API, and
 * an MTA sending a DSN to the worker's bounce receiver.
 */
const BOUNCE_DOMAIN = 'bounces.worker.test';
const REFUSED = 'refused';

describe('notification fallback in the worker', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;
  let smtp: SMTPServer;
  const mails: { from: string; to: string[] }[] = [];
  const texts: { to: string; sid: string }[] = [];
  const twilio = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const sid = `SM${randomUUID().replace(/-/g, '')}`;
      texts.push({ to: new URLSearchParams(raw).get('To') ?? '', sid });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid, status: 'queued' }));
    });
  });

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith(REFUSED)) return callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => twilio.listen(0, '127.0.0.1', () => resolve()));
    db = await createTestDatabase();
    const queue = testQueueConfig();
    config = loadWorkerConfig({
      NODE_ENV: 'test',
      ...testDatabaseEnv(db),
      REDIS_PORT: String(queue.redis.port),
      QUEUE_PREFIX: queue.prefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '5000',
      SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      TWILIO_ACCOUNT_SID: `AC${'3'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'worker-test-token',
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: `http://127.0.0.1:${(twilio.address() as AddressInfo).port}`,
      BOUNCE_DOMAIN,
      BOUNCE_SMTP_PORT: '0',
      BOUNCE_SMTP_HOST: '127.0.0.1',
    });
    worker = await (await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile()).init();
    sql = worker.get(DataSource);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    twilio.closeAllConnections();
    await new Promise<void>((resolve) => twilio.close(() => resolve()));
  });

  /** A recipient who prefers email, then SMS, and an unread message to them. */
  async function recipientWithMessage(emailLocalPart: string, phone: string): Promise<{ userId: string; messageId: string }> {
    const [senderId, userId, conversationId, messageId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash, phone) VALUES ($1, $2, 'Sender', 'x', NULL), ($3, $4, 'Parent', 'x', $5)`, [
      senderId,
      `sender-${senderId}@worker.test`,
      userId,
      `${emailLocalPart}-${userId}@worker.test`,
      phone,
    ]);
    await worker
      .get(NotificationSettingsRepository)
      .savePreferences(userId, { channels: { inApp: true, email: true, push: false, sms: true }, quietHours: null, channelOrder: ['email', 'sms'] });
    await sql.transaction(async (manager) => {
      await manager.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'class 4b', $2)`, [conversationId, senderId]);
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2), ($1, $3)`, [conversationId, senderId, userId]);
      await worker.get(ConversationKeyService).createKey(manager, conversationId);
    });
    const sealed = await worker.get(MessageCrypto).encrypt(conversationId, messageId, 'Trip money due Monday');
    await sql.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status) VALUES ($1, $2, 1, $3, $4, $5, $6, $7, 'sent')`,
      [messageId, conversationId, senderId, sealed.ciphertext, sealed.iv, sealed.authTag, sealed.keyVersion],
    );
    await sql.query(`INSERT INTO message_deliveries (message_id, recipient_id, status) VALUES ($1, $2, 'sent')`, [messageId, userId]);
    return { userId, messageId };
  }

  const rows = (userId: string) =>
    sql.query(
      `SELECT id, channel, status, provider_status AS "providerStatus", fallback_of AS "fallbackOf" FROM notifications WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    ) as Promise<{ id: string; channel: string; status: string; providerStatus: string | null; fallbackOf: string | null }[]>;

  const idle = () =>
    waitForQueuesIdle(
      worker
        .get(QueueRegistry)
        .entries()
        .map(([, queue]) => queue),
      // The cleanup schedule is always delayed; a job's retries are waited for by its state.
      { includeDelayed: false },
    );

  const finalState = (jobId: string) =>
    eventually(
      async () => {
        const queue = worker
          .get(QueueRegistry)
          .entries()
          .find(([name]) => name === QUEUE.NOTIFICATION)?.[1];
        const state = await (await queue?.getJob(jobId))?.getState();
        return state === 'failed' || state === 'completed' ? state : undefined;
      },
      `job ${jobId} done`,
      20_000,
    );

  it('an email the SMTP server refuses for good (550) falls back to one SMS, however often the email job runs', async () => {
    const { userId, messageId } = await recipientWithMessage(REFUSED, '+447700900301');
    const jobId = await worker.get(MessageQueueService).addNotificationJob({ recipientId: userId, channel: 'email', reason: 'offline', messageId });
    await eventually(async () => ((await rows(userId)).some((n) => n.channel === 'sms' && n.status === 'sent') ? true : undefined), 'the SMS fallback');
    // Its three attempts each fail for good and each asks for the fallback: one job, one SMS.
    expect(await finalState(jobId)).toBe('failed');
    await idle();
    const [email, sms] = await rows(userId);
    expect(email).toMatchObject({ channel: 'email', status: 'failed' });
    expect(sms).toMatchObject({ channel: 'sms', status: 'sent', fallbackOf: email?.id });
    expect(texts.filter((t) => t.to === '+447700900301')).toHaveLength(1);
  });

  it('a DSN to the bounce receiver marks the email bounced and the SMS goes out once; a second DSN changes nothing', async () => {
    const { userId, messageId } = await recipientWithMessage('parent', '+447700900302');
    await worker.get(MessageQueueService).addNotificationJob({ recipientId: userId, channel: 'email', reason: 'offline', messageId });
    const email = await eventually(async () => (await rows(userId)).find((n) => n.channel === 'email' && n.status === 'sent'), 'the email');
    const returnPath = `bounces+${email.id}@${BOUNCE_DOMAIN}`;
    expect(mails.find((m) => m.to.some((to) => to.startsWith(`parent-${userId}`)))?.from).toBe(returnPath);

    const port = worker.get(BounceReceiver).port() as number;
    const mta = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, logger: false });
    const report = [
      'From: MAILER-DAEMON@mx.worker.test',
      `To: ${returnPath}`,
      'Subject: Delivery Status Notification (Failure)',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Delivery failed.',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.worker.test',
      '',
      `Final-Recipient: rfc822; parent-${userId}@worker.test`,
      'Action: failed',
      'Status: 5.2.1',
      'Diagnostic-Code: smtp; 550 5.2.1 The email account that you tried to reach is disabled',
      '',
      '--b--',
      '',
    ].join('\r\n');
    try {
      await mta.sendMail({ envelope: { from: 'MAILER-DAEMON@mx.worker.test', to: returnPath }, raw: report });
      await eventually(async () => ((await rows(userId)).some((n) => n.channel === 'sms' && n.status === 'sent') ? true : undefined), 'the SMS fallback');
      await mta.sendMail({ envelope: { from: 'MAILER-DAEMON@mx.worker.test', to: returnPath }, raw: report });
    } finally {
      mta.close();
    }
    await idle();
    const notifications = await rows(userId);
    expect(notifications).toEqual([
      expect.objectContaining({ channel: 'email', status: 'sent', providerStatus: 'bounced' }),
      expect.objectContaining({ channel: 'sms', status: 'sent', fallbackOf: email.id }),
    ]);
    expect(texts.filter((t) => t.to === '+447700900302')).toHaveLength(1);
  });
});
