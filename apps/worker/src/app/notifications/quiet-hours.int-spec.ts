import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, testDatabaseEnv } from '@mq/db/testing';
import { ConversationKeyService, MessageCrypto } from '@mq/messaging';
import { HandledJob, MessageQueueService, QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig } from '@mq/queue/testing';
import { JOB, NotificationJob, QUEUE, jobIdFor } from '@mq/queue-contracts';
import { NotificationProcessor } from '../processors/notification.processor';
import { loadWorkerConfig, WorkerConfig } from '../worker.config';
import { WorkerModule } from '../worker.module';

/**
 * Quiet hours through the real worker (Postgres, Redis, processors): sends during the window are
 * held with one wake job, a critical one goes at once, and the wake job sends one digest of
 * exactly the held unread items, once however often it runs.
 */
describe('quiet hours: held items and the wake digest', () => {
  let db: TestDatabase;
  let config: WorkerConfig;
  let worker: INestApplicationContext;
  let sql: DataSource;

  const user = async (name: string): Promise<string> => {
    const id = randomUUID();
    await sql.query(`INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, 'x')`, [id, `${id}@test`, name]);
    return id;
  };

  const conversation = async (members: string[]): Promise<string> => {
    const id = randomUUID();
    await sql.transaction(async (manager) => {
      await manager.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', 'class 4b', $2)`, [id, members[0]]);
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [id, members]);
      await worker.get(ConversationKeyService).createKey(manager, id);
    });
    return id;
  };

  /** A stored, queued message to one recipient, as the api's group commit leaves it. */
  const message = async (conversationId: string, senderId: string, recipientId: string, seq: number, critical = false): Promise<string> => {
    const id = randomUUID();
    const sealed = await worker.get(MessageCrypto).encrypt(conversationId, id, 'Nurse visit at 9');
    await sql.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, ciphertext, iv, auth_tag, key_version, status, critical)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9)`,
      [id, conversationId, seq, senderId, sealed.ciphertext, sealed.iv, sealed.authTag, sealed.keyVersion, critical],
    );
    await sql.query(`INSERT INTO message_deliveries (message_id, recipient_id) VALUES ($1, $2)`, [id, recipientId]);
    return id;
  };

  const sendAndWait = async (messageIds: string[]) => {
    const delivery = worker.get(QueueRegistry).get(QUEUE.DELIVERY);
    const jobId = await worker.get(MessageQueueService).addMessageDeliveryJob({ messageIds });
    await eventually(async () => ((await (await delivery.getJob(jobId))?.isCompleted()) ? true : undefined), 'the send job');
  };

  beforeAll(async () => {
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
    });
    worker = await (await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile()).init();
    sql = worker.get(DataSource);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('holds in-app during the window, lets critical through at once, and digests exactly the held unread items once', async () => {
    const [nurse, head, sleeper] = [await user('Nurse Joy'), await user('Head Teacher'), await user('Parent')];
    const room = await conversation([nurse, head, sleeper]);
    // In quiet hours for another hour in London; in-app is the held channel here (no provider needed).
    const now = DateTime.now().setZone('Europe/London');
    const quietHours = {
      start: now.minus({ hours: 1 }).toFormat('HH:mm'),
      end: now.plus({ hours: 1 }).toFormat('HH:mm'),
      timeZone: 'Europe/London',
      channels: ['in_app'],
    };
    await sql.query(`INSERT INTO notification_preferences (user_id, channels, quiet_hours) VALUES ($1, $2, $3)`, [
      sleeper,
      JSON.stringify({ inApp: true, email: false, push: false, sms: false }),
      JSON.stringify(quietHours),
    ]);
    const wake = now.plus({ hours: 1 }).startOf('minute');

    const held = [await message(room, nurse, sleeper, 1), await message(room, head, sleeper, 2), await message(room, nurse, sleeper, 3)];
    const readBeforeWake = await message(room, head, sleeper, 4);
    await sendAndWait(held.slice(0, 2));
    await sendAndWait([held[2] as string, readBeforeWake]);
    const rows: { message_id: string; wake_at: Date }[] = await sql.query(`SELECT message_id, wake_at FROM held_notifications WHERE user_id = $1`, [sleeper]);
    expect(rows.map((r) => r.message_id).sort()).toEqual([...held, readBeforeWake].sort());
    expect(new Set(rows.map((r) => r.wake_at.getTime()))).toEqual(new Set([wake.toMillis()]));

    // Two sends, one wake job: delayed until the window's end.
    const wakeJob: NotificationJob = { recipientId: sleeper, channel: 'in_app', reason: 'quiet-hours', window: wake.toSeconds() };
    const wakeJobId = jobIdFor(JOB.SEND_NOTIFICATION, wakeJob);
    const notifications = worker.get(QueueRegistry).get(QUEUE.NOTIFICATION);
    const delayed = await eventually(() => notifications.getJob(wakeJobId).then((job) => job ?? undefined), 'the wake job');
    expect(await delayed.getState()).toBe('delayed');
    expect(delayed.timestamp + (delayed.opts.delay ?? 0)).toBeGreaterThanOrEqual(wake.toMillis() - 1_000);
    expect((await notifications.getDelayed()).filter((job) => job.data.recipientId === sleeper)).toHaveLength(1);

    // A critical message is notified at once on the held channel.
    const critical = await message(room, head, sleeper, 5, true);
    await sendAndWait([critical]);
    await eventually(async () => {
      const [row]: { status: string }[] = await sql.query(`SELECT status FROM notifications WHERE message_id = $1 AND channel = 'in_app'`, [critical]);
      return row?.status === 'sent' ? true : undefined;
    }, 'the critical in-app notification');
    expect(await sql.query(`SELECT 1 FROM held_notifications WHERE message_id = $1`, [critical])).toEqual([]);
    expect(await sql.query(`SELECT 1 FROM notifications WHERE message_id = ANY($1) AND user_id = $2`, [held, sleeper])).toEqual([]);

    // Read in the app before wake: left out of the digest.
    await sql.query(`UPDATE message_deliveries SET status = 'read', read_at = now() WHERE message_id = $1`, [readBeforeWake]);

    // Wake (the job run now rather than waiting an hour; it is the same handler Bull calls).
    await delayed.remove();
    const processor = worker.get(NotificationProcessor);
    const run = () => processor.sendNotification({ id: wakeJobId, data: wakeJob } as unknown as HandledJob<'send-notification'>);
    expect(await run()).toMatchObject({ outcome: 'sent' });
    const digests: { title: string; body: string; status: string }[] = await sql.query(`SELECT title, body, status FROM notifications WHERE dedupe_key = $1`, [
      wakeJobId,
    ]);
    expect(digests).toEqual([{ title: '3 messages during quiet hours', body: 'From Nurse Joy and Head Teacher. Open the app to read them.', status: 'sent' }]);
    expect(await sql.query(`SELECT 1 FROM held_notifications WHERE user_id = $1 AND released_at IS NULL`, [sleeper])).toEqual([]);

    // Again: nothing more. And a crash between sending and releasing: the rerun finds it sent and only releases.
    expect(await run()).toMatchObject({ outcome: 'skipped' });
    await sql.query(`UPDATE held_notifications SET released_at = NULL WHERE user_id = $1`, [sleeper]);
    expect(await run()).toMatchObject({ outcome: 'already-sent' });
    expect(await sql.query(`SELECT 1 FROM held_notifications WHERE user_id = $1 AND released_at IS NULL`, [sleeper])).toEqual([]);
    expect(await sql.query(`SELECT 1 FROM notifications WHERE dedupe_key = $1`, [wakeJobId])).toHaveLength(1);
    // The channel switched off before the next wake: its items are released, nothing is sent.
    const later = await message(room, nurse, sleeper, 6);
    const nextWake = wake.plus({ days: 1 });
    await sql.query(`INSERT INTO held_notifications (user_id, channel, message_id, wake_at) VALUES ($1, 'in_app', $2, $3)`, [
      sleeper,
      later,
      nextWake.toJSDate(),
    ]);
    await sql.query(`UPDATE notification_preferences SET channels = $2 WHERE user_id = $1`, [
      sleeper,
      JSON.stringify({ inApp: false, email: false, push: false, sms: false }),
    ]);
    const next: NotificationJob = { ...wakeJob, window: nextWake.toSeconds() };
    const skipped = await processor.sendNotification({ id: jobIdFor(JOB.SEND_NOTIFICATION, next), data: next } as unknown as HandledJob<'send-notification'>);
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: "in_app is switched off in the user's preferences" });
    expect(await sql.query(`SELECT 1 FROM held_notifications WHERE user_id = $1 AND released_at IS NULL`, [sleeper])).toEqual([]);
    expect(await sql.query(`SELECT 1 FROM notifications WHERE user_id = $1 AND dedupe_key = $2`, [sleeper, jobIdFor(JOB.SEND_NOTIFICATION, next)])).toEqual([]);
  });
});
