import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TestDatabase, createTestDatabase, eventually, freePort, testDatabaseEnv } from '@mq/db/testing';
import { MessagingClient } from '@mq/messaging-client';
import { QueueConfig } from '@mq/queue';
import { ThrowawayCluster, clusterQueueConfig, deleteQueueKeys, startThrowawayCluster, testQueueConfig, uniqueQueuePrefix } from '@mq/queue/testing';

const ROOT = path.resolve(__dirname, '../../../..');
export const ADMIN = { email: 'admin@system.test', password: 'system-test-admin-password' };

/** One built app (dist/apps/<name>/main.js) running as a real process. */
export class AppProcess {
  private child?: ChildProcess;
  private output: string[] = [];

  constructor(
    readonly name: string,
    private readonly script: string,
    private env: NodeJS.ProcessEnv,
    readonly port: number,
  ) {}

  /** Environment changes for the next start (e.g. a new master key). */
  setEnv(overrides: Record<string, string>): void {
    this.env = { ...this.env, ...overrides };
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed, for failure messages. */
  tail(lines = 40): string {
    return this.output.slice(-lines).join('');
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [path.join(ROOT, this.script)], { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}:\n${this.tail()}`);
          const ok = await fetch(`${this.url}/health`).then(
            (r) => r.ok,
            () => false,
          );
          return ok ? true : undefined;
        },
        `${this.name} to answer /health`,
        30_000,
      );
    } catch (error) {
      await this.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- ${this.name} output ---\n${this.tail()}`);
    }
  }

  /** SIGKILL: no shutdown hooks, like a crash. SIGTERM: graceful. Resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

export interface StackOptions {
  apis?: number;
  worker?: boolean;
  /** Redis port (a throwaway server for outage drills); default the shared one. */
  redisPort?: number;
  /**
   * `cluster`: a throwaway Redis Cluster of 3 masters and 3 replicas of the stack's own
   * (`REDIS_NODES`). Default `SYSTEM_TEST_REDIS`, else `single` (the shared server).
   */
  redis?: 'single' | 'cluster';
  /** The cluster's `cluster-node-timeout` (default 10 s): how soon a dead master's replica takes over. */
  clusterNodeTimeoutMs?: number;
  /** The Postgres server to make the stack's database on (a throwaway one for outage drills); default TEST_DATABASE_ADMIN_URL, else the local one. */
  databaseAdminUrl?: string;
  env?: Record<string, string>;
}

/**
 * A whole system for one test file: its own database and queue prefix, N api processes and
 * a worker, all built code run as real processes (so a kill -9 is a real crash).
 */
export class TestStack {
  readonly apis: AppProcess[] = [];
  worker?: AppProcess;

  private constructor(
    readonly database: TestDatabase,
    readonly queue: QueueConfig,
    private readonly baseEnv: NodeJS.ProcessEnv,
    /** The stack's own Redis Cluster, when it runs on one. */
    readonly cluster?: ThrowawayCluster,
  ) {}

  static async start(options: StackOptions = {}): Promise<TestStack> {
    const onCluster = (options.redis ?? process.env.SYSTEM_TEST_REDIS) === 'cluster';
    const cluster = onCluster ? await startThrowawayCluster({ nodeTimeoutMs: options.clusterNodeTimeoutMs }) : undefined;
    const database = await createTestDatabase({ adminUrl: options.databaseAdminUrl });
    const queue = cluster
      ? clusterQueueConfig(cluster, uniqueQueuePrefix('sys'))
      : testQueueConfig(uniqueQueuePrefix('sys'), options.redisPort ? { port: options.redisPort, db: 0 } : {});
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      ...testDatabaseEnv(database),
      DB_POOL_SIZE: '8',
      REDIS_HOST: queue.redis.host,
      REDIS_PORT: String(queue.redis.port),
      REDIS_QUEUE_DB: String(queue.redis.db),
      QUEUE_PREFIX: queue.prefix,
      ...(cluster ? { REDIS_NODES: cluster.redisNodes } : {}),
      LOG_LEVEL: process.env.SYSTEM_TEST_LOG_LEVEL ?? 'warn',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SHUTDOWN_TIMEOUT_MS: '5000',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      OUTBOX_GRACE_MS: '500',
      // Tests make their own data; a stack with the demo school asks for it.
      DEMO_DATA: 'false',
      ...options.env,
    };
    const stack = new TestStack(database, queue, env, cluster);
    try {
      for (let i = 0; i < (options.apis ?? 1); i++) await stack.addApi();
      if (options.worker ?? true) await stack.startWorker();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  async addApi(): Promise<AppProcess> {
    const port = await freePort();
    const api = new AppProcess(`api#${this.apis.length}`, 'dist/apps/api/main.js', { ...this.baseEnv, PORT: String(port) }, port);
    this.apis.push(api);
    await api.start();
    return api;
  }

  async startWorker(): Promise<AppProcess> {
    const port = await freePort();
    this.worker = new AppProcess('worker', 'dist/apps/worker/main.js', { ...this.baseEnv, WORKER_PORT: String(port) }, port);
    await this.worker.start();
    return this.worker;
  }

  api(index = 0): AppProcess {
    const api = this.apis[index];
    if (!api) throw new Error(`No api #${index}`);
    return api;
  }

  client(apiIndex = 0): MessagingClient {
    return new MessagingClient({ baseUrl: this.api(apiIndex).url, timeoutMs: 15_000 });
  }

  async admin(apiIndex = 0): Promise<MessagingClient> {
    const client = this.client(apiIndex);
    await client.login(ADMIN);
    return client;
  }

  /** Creates users through the admin API and returns clients signed in as them. */
  async users(count: number, apiIndex = 0, label = 'user'): Promise<{ id: string; client: MessagingClient }[]> {
    const admin = await this.admin(apiIndex);
    const users = [];
    for (let i = 0; i < count; i++) {
      const email = `${label}${i}-${Math.random().toString(36).slice(2, 8)}@system.test`;
      const password = 'a-user-password-123';
      const user = await admin.operator.createUser({ email, password, displayName: `${label} ${i}` });
      const client = this.client(apiIndex);
      await client.login({ email, password });
      users.push({ id: user.id, client });
    }
    return users;
  }

  /** Restarts every process with changed environment variables (a config change or key rotation). */
  async restartAll(overrides: Record<string, string>): Promise<void> {
    const apps = [...this.apis, ...(this.worker ? [this.worker] : [])];
    await Promise.all(apps.map((app) => app.kill('SIGTERM')));
    for (const app of apps) {
      app.setEnv(overrides);
      await app.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apis, ...(this.worker ? [this.worker] : [])].map((app) => app.kill('SIGKILL')));
    if (this.cluster) await this.cluster.stop();
    else await deleteQueueKeys(this.queue).catch(() => undefined);
    await this.database.drop();
  }
}
