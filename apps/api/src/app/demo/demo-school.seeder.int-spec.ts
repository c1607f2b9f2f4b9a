import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TestDatabase, createTestDatabase, queryDatabase, testDatabaseEnv } from '@mq/db/testing';
import { QueueRegistry } from '@mq/queue';
import { deleteQueueKeys, eventually, testQueueConfig, uniqueQueuePrefix } from '@mq/queue/testing';
import { QUEUE } from '@mq/queue-contracts';
import { ApiConfig, loadApiConfig } from '../api.config';
import { ApiModule } from '../api.module';
import { configureHttpApp } from '../http-app.setup';
import { DEMO_PEOPLE } from './demo-school.roster';
import { DEMO_THREADS } from './demo-school.script';

const ADMIN = { email: 'admin@demo-spec.test', password: 'demo-spec-admin-password' };
const HISTORY = DEMO_THREADS.reduce((sum, thread) => sum + thread.lines.length, 0);

function apiConfig(db: TestDatabase, prefix: string): ApiConfig {
  const queue = testQueueConfig(prefix);
  return loadApiConfig({
    NODE_ENV: 'test',
    DEMO_DATA: 'true',
    ...testDatabaseEnv(db),
    REDIS_PORT: String(queue.redis.port),
    QUEUE_PREFIX: queue.prefix,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  });
}

/** The api as main.ts makes it (without listening): its bootstrap hooks, the demo's included, run in init(). */
async function bootApi(config: ApiConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error', 'warn'] });
  configureHttpApp(app, config);
  return app.init();
}

const count = async (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> =>
  Number((await queryDatabase<{ n: string }>(db.url, text, params))[0]?.n ?? 0);

/*
 * The seeder against real Postgres and Redis, with no worker: what the api itself does (users,
 * conversations, history, the broadcast and the message that can never be delivered, each staged
 * as a job) and the trickle that follows. The worker's part (the sends, the failed delivery and
 * its dead letter) is what apps/admin-e2e/src/15-first-run.spec.ts checks on the whole system.
 */
describe('the demo school against real Postgres and Redis', () => {
  let db: TestDatabase;
  let config: ApiConfig;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = apiConfig(db, uniqueQueuePrefix('demo'));
  });

  afterAll(async () => {
    await app?.close();
    await deleteQueueKeys(config.queue);
    await db?.drop();
  });

  it('loads the school into an empty database through the services real users go through', async () => {
    app = await bootApi(config);

    const users = await queryDatabase<{ email: string; role: string; active: boolean }>(db.url, `SELECT email, role, active FROM users ORDER BY email`);
    expect(users).toEqual(
      expect.arrayContaining([
        { email: ADMIN.email, role: 'admin', active: true },
        ...DEMO_PEOPLE.map((p) => ({ email: p.email, role: p.role, active: p.kind !== 'leaver' })),
      ]),
    );
    expect(users).toHaveLength(DEMO_PEOPLE.length + 1);
    // Created by the office, audited like any admin's work; the leaver deactivated the same way.
    expect(await count(db, `SELECT count(*) AS n FROM audit_log WHERE action = 'user.create'`)).toBe(DEMO_PEOPLE.length - 1);
    expect(await count(db, `SELECT count(*) AS n FROM audit_log WHERE action = 'user.update'`)).toBe(1);

    // The conversations, each with its history in order (the trickle may have added to them since).
    expect(await count(db, `SELECT count(*) AS n FROM conversations WHERE type <> 'broadcast'`)).toBe(DEMO_THREADS.length);
    expect(await count(db, `SELECT count(*) AS n FROM messages WHERE batch_id IS NULL`)).toBeGreaterThanOrEqual(HISTORY + 1);
    // Stored encrypted, as every message is.
    expect(await count(db, `SELECT count(*) AS n FROM messages WHERE position($1::bytea in ciphertext) > 0`, [Buffer.from('inhaler')])).toBe(0);

    // The broadcast, waiting for the worker to fan it out to every active chat user.
    const chatUsers = DEMO_PEOPLE.filter((p) => p.kind === 'staff' || p.kind === 'parent').length;
    expect(await queryDatabase(db.url, `SELECT status, total FROM batches`)).toEqual([{ status: 'queued', total: chatUsers }]);
    expect(await count(db, `SELECT count(*) AS n FROM audit_log WHERE action = 'broadcast.start'`)).toBe(1);

    // The message to the leaver: stored with its delivery queued to an inactive account, its job in Redis.
    const [leaver] = await queryDatabase<{ messageId: string; jobId: string; active: boolean }>(
      db.url,
      `SELECT d.message_id AS "messageId", d.job_id AS "jobId", u.active FROM message_deliveries d JOIN users u ON u.id = d.recipient_id
       WHERE u.email = $1`,
      [DEMO_PEOPLE.find((p) => p.kind === 'leaver')?.email],
    );
    expect(leaver).toMatchObject({ active: false, jobId: expect.stringContaining('deliver:') });
    const deliveries = app.get(QueueRegistry).get(QUEUE.DELIVERY);
    await eventually(async () => ((await deliveries.getJob(leaver?.jobId as string)) ? true : undefined), 'the leaver message job in Redis');
  });

  it('keeps a trickle of traffic going in the demo conversations, never in the leaver one', async () => {
    const before = await count(db, `SELECT count(*) AS n FROM messages`);
    await eventually(async () => ((await count(db, `SELECT count(*) AS n FROM messages`)) >= before + 2 ? true : undefined), 'two trickled messages', 15_000);
    const toLeaver = await count(
      db,
      `SELECT count(*) AS n FROM messages m JOIN message_deliveries d ON d.message_id = m.id JOIN users u ON u.id = d.recipient_id WHERE NOT u.active`,
    );
    expect(toLeaver).toBe(1);
  });

  it('does not seed again on a restart, and the trickle resumes', async () => {
    await app?.close();
    app = await bootApi(config);
    expect(await count(db, `SELECT count(*) AS n FROM users`)).toBe(DEMO_PEOPLE.length + 1);
    expect(await count(db, `SELECT count(*) AS n FROM batches`)).toBe(1);
    const before = await count(db, `SELECT count(*) AS n FROM messages`);
    await eventually(
      async () => ((await count(db, `SELECT count(*) AS n FROM messages`)) > before ? true : undefined),
      'a trickled message after the restart',
      15_000,
    );
  });

  it('leaves a database that already has users alone', async () => {
    const other = await createTestDatabase();
    const otherConfig = apiConfig(other, uniqueQueuePrefix('demo'));
    await queryDatabase(other.url, `INSERT INTO users (email, display_name, role, password_hash) VALUES ('someone@school.test', 'Someone', 'user', 'x')`);
    const otherApp = await bootApi(otherConfig);
    try {
      expect(await queryDatabase(other.url, `SELECT email FROM users ORDER BY email`)).toEqual([{ email: ADMIN.email }, { email: 'someone@school.test' }]);
      expect(await count(other, `SELECT count(*) AS n FROM messages`)).toBe(0);
    } finally {
      await otherApp.close();
      await deleteQueueKeys(otherConfig.queue);
      await other.drop();
    }
  });
});
