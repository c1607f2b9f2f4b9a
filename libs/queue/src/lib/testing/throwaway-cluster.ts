import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisAddress } from '../queue.config';
import { eventually, freePort } from '@mq/db/testing';
import { askNode } from './wait.helper';

const run = promisify(execFile);

export interface ClusterNode extends RedisAddress {
  id: string;
  role: 'master' | 'replica';
  /** A master's slot ranges, `[from, to]`. */
  slots: [number, number][];
}

/** A real Redis Cluster on spare ports in a temp dir, for tests and drills; removed by stop(). */
export interface ThrowawayCluster {
  /** Every node, as seeds. */
  readonly nodes: readonly RedisAddress[];
  /** The same as the `REDIS_NODES` value the apps take. */
  readonly redisNodes: string;
  /** The cluster as the nodes see it now. */
  topology(): Promise<ClusterNode[]>;
  /** The master serving a slot now. */
  masterOf(slot: number): Promise<ClusterNode>;
  /** `kill -9` of one node's process. */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once `check` holds; a rejected check (a node still starting) counts as not yet. */
const waitFor = (check: () => Promise<boolean>, description: string, timeoutMs: number): Promise<true> =>
  eventually(
    () =>
      check().then(
        (ok) => ok || undefined,
        () => undefined,
      ),
    description,
    timeoutMs,
  );

/** `CLUSTER NODES` as typed rows (failed nodes left out). */
export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => !(fields[2] ?? '').includes('fail') && !(fields[2] ?? '').includes('noaddr'))
    .map((fields) => {
      const [host = '', rest = ''] = (fields[1] ?? '').split(':');
      const slots = fields.slice(8).flatMap((range): [number, number][] => {
        if (range.startsWith('[')) return []; // a slot being migrated
        const [from, to] = range.split('-').map(Number);
        return [[from ?? 0, to ?? from ?? 0]];
      });
      return { id: fields[0] ?? '', host, port: Number(rest.split('@')[0]), role: (fields[2] ?? '').includes('master') ? 'master' : 'replica', slots };
    });
}

/**
 * Starts `masters` masters and as many replicas each as asked, with `redis-server
 * --cluster-enabled yes`, and joins them with `redis-cli --cluster create`. The default node
 * timeout (10 s) is long enough that a busy CI machine never fails a master over by mistake
 * in the middle of a test; a drill that kills a master passes a short one.
 */
export async function startThrowawayCluster(options: { masters?: number; replicas?: number; nodeTimeoutMs?: number } = {}): Promise<ThrowawayCluster> {
  const { masters = 3, replicas = 1, nodeTimeoutMs = 10_000 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'mq-cluster-'));
  // Each node's bus port is picked like its own: the default (port + 10,000) may be another
  // cluster's port when tests run side by side, and does not exist above 55,535.
  const taken = new Set<number>();
  const anotherPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (taken.has(port)) continue;
      taken.add(port);
      return port;
    }
  };
  const ports: number[] = [];
  const busPorts = new Map<number, number>();
  for (let i = 0; i < masters * (1 + replicas); i++) {
    const port = await anotherPort();
    ports.push(port);
    busPorts.set(port, await anotherPort());
  }
  const processes = new Map<number, ChildProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        [
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
          ...['--cluster-enabled', 'yes', '--cluster-port', String(busPorts.get(port)), '--cluster-config-file', `nodes-${port}.conf`],
          ...['--cluster-node-timeout', String(nodeTimeoutMs)],
        ],
        { stdio: 'ignore' },
      );
      processes.set(port, child);
    }
    await Promise.all(ports.map((port) => waitFor(async () => (await askNode(port, 'PING')) === 'PONG', `redis-server on ${port}`, 10_000)));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    // Every node must see the whole cluster (state ok, each master with its slots, each replica as one) before a client is let loose on it.
    const whole = (nodes: ClusterNode[]) =>
      nodes.filter((node) => node.role === 'master' && node.slots.length > 0).length === masters &&
      nodes.filter((node) => node.role === 'replica').length === masters * replicas;
    await Promise.all(
      ports.map((port) =>
        waitFor(
          async () =>
            (await askNode(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok') && whole(parseClusterNodes(await askNode(port, 'CLUSTER', 'NODES'))),
          `the whole cluster as seen from ${port}`,
          30_000,
        ),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const live = () => [...processes.entries()].filter(([, child]) => child.exitCode === null && child.signalCode === null).map(([port]) => port);
  const topology = async (): Promise<ClusterNode[]> => {
    for (const port of live()) {
      const text = await askNode(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (text) return parseClusterNodes(text);
    }
    throw new Error('no cluster node answers');
  };
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    redisNodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    topology,
    async masterOf(slot) {
      const master = (await topology()).find((node) => node.role === 'master' && node.slots.some(([from, to]) => slot >= from && slot <= to));
      if (!master) throw new Error(`no master serves slot ${slot}`);
      return master;
    },
    async kill(port) {
      const child = processes.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    stop,
  };
}
