import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisAddress } from '../queue.config';
import { eventually, freePort } from '@mq/db/testing';
import { askNode } from './wait.helper';

/** A primary, its replica and one Sentinel watching them, on spare ports; removed by stop(). */
export interface ThrowawaySentinel {
  /** The Sentinel's address: what `REDIS_SENTINELS` takes. */
  readonly sentinels: readonly RedisAddress[];
  /** The monitored primary's name: `REDIS_SENTINEL_NAME`. */
  readonly name: string;
  /** The port of the primary as the Sentinel names it now. */
  primaryPort(): Promise<number>;
  /** `SENTINEL FAILOVER`: the replica is promoted; resolves with its port once both nodes agree. */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

const NAME = 'mq-primary';

const isUp = async (port: number): Promise<boolean> => (await askNode(port, 'PING').catch(() => '')) === 'PONG';
const roleOf = async (port: number): Promise<string> => (await askNode(port, 'INFO', 'replication').catch(() => '')).match(/^role:(\w+)/m)?.[1] ?? '';

/**
 * Two `redis-server`s (the second `--replicaof` the first) and one `redis-server --sentinel`
 * with quorum 1, which is enough to order a failover (a production setup runs three Sentinels
 * so that they can also agree a primary is down). Ready once the Sentinel knows the replica.
 */
export async function startThrowawaySentinel(): Promise<ThrowawaySentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'mq-sentinel-'));
  const [primary, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const processes: ChildProcess[] = [];
  const server = (port: number, extra: string[]): void => {
    processes.push(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' }),
    );
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const sentinelSays = async (): Promise<number> => {
    const reply = await askNode(sentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME);
    return Number(reply.split(',')[1]);
  };
  try {
    server(primary, []);
    server(replica, ['--replicaof', '127.0.0.1', String(primary)]);
    await eventually(async () => ((await isUp(primary)) && (await isUp(replica)) ? true : undefined), 'primary and replica up', 10_000);
    await eventually(
      async () => ((await askNode(replica, 'INFO', 'replication')).includes('master_link_status:up') ? true : undefined),
      'the replica in sync',
      10_000,
    );
    // The Sentinel rewrites its config file as it learns the topology: it must be its own, writable.
    const configFile = join(dir, 'sentinel.conf');
    writeFileSync(
      configFile,
      [`sentinel monitor ${NAME} 127.0.0.1 ${primary} 1`, `sentinel down-after-milliseconds ${NAME} 2000`, `sentinel failover-timeout ${NAME} 10000`, ''].join(
        '\n',
      ),
    );
    processes.push(spawn('redis-server', [configFile, '--sentinel', '--port', String(sentinel), '--bind', '127.0.0.1', '--dir', dir], { stdio: 'ignore' }));
    await eventually(
      async () => (String(await askNode(sentinel, 'SENTINEL', 'REPLICAS', NAME).catch(() => '')).includes(String(replica)) ? true : undefined),
      'the Sentinel knowing the replica',
      15_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    sentinels: [{ host: '127.0.0.1', port: sentinel }],
    name: NAME,
    primaryPort: sentinelSays,
    async failover() {
      const before = await sentinelSays();
      const after = before === primary ? replica : primary;
      await askNode(sentinel, 'SENTINEL', 'FAILOVER', NAME);
      await eventually(
        async () => ((await sentinelSays()) === after && (await roleOf(after)) === 'master' && (await roleOf(before)) === 'slave' ? true : undefined),
        `the failover to ${after}`,
        30_000,
      );
      return after;
    },
    stop,
  };
}
