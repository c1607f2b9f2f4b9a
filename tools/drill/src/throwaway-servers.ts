import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { eventually } from '@mq/queue/testing';
import { freePort } from '@mq/system-testing';

export interface ThrowawayRedis {
  port: number;
  start(): Promise<void>;
  /** SIGTERM: Redis writes its AOF and exits (a restart). SIGKILL: a crash. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A private redis-server on a spare port. `persistent`: AOF with fsync every second, as in
 * docker-compose.yml (a restart keeps the queues); otherwise nothing is kept (a restart is a
 * flush, like @mq/queue/testing's startThrowawayRedis).
 */
export async function startRedis(persistent: boolean): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mq-drill-redis-'));
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--maxmemory-policy', 'noeviction'];
  args.push(...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']));
  const ping = async (): Promise<boolean> => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // A refused connection while the server starts is expected: without a listener ioredis prints it.
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      // Loading the AOF answers LOADING errors until done: only PONG counts.
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  const handle: ThrowawayRedis = {
    port,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await eventually(async () => ((await ping()) ? true : undefined), `redis-server on port ${port}`, 15_000);
    },
    async stop(signal) {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill(signal);
      });
    },
    async destroy() {
      await handle.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
