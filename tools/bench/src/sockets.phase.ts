import { RealtimeConnection } from '@mq/messaging-client';
import { ProgressBar } from './progress.bar';
import { CpuShare, CpuSubjects, cpuBetween, round, sampleCpu } from './process.probe';
import { mapLimit, mb, slope, sleep } from './stats.math';
import type { BenchUser, UserSource } from './users.seeder';

export interface SocketsOptions {
  sockets: number;
  /** Soft open-file limits of the bench and of the api (when known): each socket costs one in both. */
  fileLimits: { bench?: number; api?: number };
  readApiRss: () => Promise<number | undefined>;
  readApiHeap?: () => Promise<number | undefined>;
  rssSource: string;
  holdSeconds: number;
  cores: number;
  cpuSubjects: CpuSubjects;
}

export interface SocketsResult {
  requested: number;
  attempted: number;
  /** Why fewer were attempted than requested (the open-file limit). */
  cappedBy: string | undefined;
  users: number;
  connected: number;
  failed: number;
  /** Still connected after holding them open for `holdSeconds`. */
  stillConnected: number;
  holdSeconds: number;
  connectSeconds: number;
  connectsPerSecond: number;
  rssSource: string;
  apiRssBeforeMB: number | undefined;
  apiRssAfterMB: number | undefined;
  /** (after - before) / thousands connected. */
  rssDeltaPerThousandMB: number | undefined;
  /** Least-squares slope of RSS over the connected count, per 1,000 (less noisy than two points). */
  rssSlopePerThousandMB: number | undefined;
  rssSamples: { sockets: number; rssMB: number; heapMB?: number }[];
  /** V8 heap in use per 1,000 sockets (slope, after full GCs; --start only). */
  heapSlopePerThousandMB: number | undefined;
  errors: Record<string, number>;
  cpu: CpuShare;
}

const CONNECTS_IN_FLIGHT = 100;
const SAMPLE_EVERY = 500;
/** File descriptors the bench needs besides the sockets (HTTP pools, Redis, Postgres, logs). */
const FD_RESERVE = 300;

/**
 * Opens as many sockets as asked on one api (websocket transport, no reconnection, so a drop
 * is counted rather than hidden), reading the api's RSS as they accumulate.
 */
export async function measureSockets(users: readonly BenchUser[], source: UserSource, options: SocketsOptions, progress: ProgressBar): Promise<SocketsResult> {
  const limits = [options.fileLimits.bench, options.fileLimits.api].filter((n): n is number => n !== undefined);
  const allowed = limits.length > 0 ? Math.max(0, Math.min(...limits) - FD_RESERVE) : options.sockets;
  const attempted = Math.min(options.sockets, allowed);
  const cappedBy =
    attempted < options.sockets
      ? `open-file limit (ulimit -n: bench ${options.fileLimits.bench ?? '?'}, api ${options.fileLimits.api ?? '?'}); raise it to at least ${options.sockets + FD_RESERVE}`
      : undefined;
  if (cappedBy) progress.log(`sockets: capped at ${attempted}: ${cappedBy}`);

  progress.phase(`sockets: ${attempted} on one api`, attempted);
  const cpuStart = await sampleCpu(options.cpuSubjects);
  const rssSamples: { sockets: number; rssMB: number; heapMB?: number }[] = [];
  const errors = new Map<string, number>();
  const sample = async (sockets: number): Promise<number | undefined> => {
    const rss = await options.readApiRss();
    const heap = await options.readApiHeap?.();
    if (rss !== undefined) rssSamples.push({ sockets, rssMB: mb(rss) ?? 0, ...(heap !== undefined ? { heapMB: mb(heap) } : {}) });
    return rss;
  };
  const before = await sample(0);
  let connected = 0;
  let failed = 0;
  let nextSample = SAMPLE_EVERY;
  let sampling = Promise.resolve();
  const t0 = performance.now();
  const sockets = await mapLimit(Array.from({ length: attempted }), CONNECTS_IN_FLIGHT, async (_, i): Promise<RealtimeConnection | undefined> => {
    const user = users[i % users.length] as BenchUser;
    const socket = source.client(user).connect({ transports: ['websocket'], reconnection: false, connectTimeoutMs: 60_000, userId: user.id });
    try {
      await socket.ready();
      connected += 1;
      if (connected >= nextSample) {
        nextSample += SAMPLE_EVERY;
        const at = connected;
        sampling = sampling.then(async () => {
          await sample(at);
        });
      }
      progress.update(connected + failed, `connected ${connected} · failed ${failed}`);
      return socket;
    } catch (error) {
      failed += 1;
      const key = error instanceof Error ? error.message.slice(0, 100) : String(error);
      errors.set(key, (errors.get(key) ?? 0) + 1);
      socket.disconnect();
      return undefined;
    }
  });
  const connectSeconds = (performance.now() - t0) / 1000;
  await sampling;
  const open = sockets.filter((s): s is RealtimeConnection => s !== undefined);
  progress.update(attempted, `connected ${connected} · failed ${failed} · holding ${options.holdSeconds} s`, true);
  await sleep(options.holdSeconds * 1000);
  const stillConnected = open.filter((s) => s.connected).length;
  const after = await sample(stillConnected);
  const cpu = cpuBetween(cpuStart, await sampleCpu(options.cpuSubjects), options.cores);

  // Close in slices so the api is not asked to tear down thousands in one tick.
  for (let i = 0; i < open.length; i += 500) {
    for (const socket of open.slice(i, i + 500)) socket.disconnect();
    await sleep(20);
  }
  const perThousand = slope(rssSamples.map((s) => ({ x: s.sockets, y: s.rssMB })));
  const heapPerThousand = slope(rssSamples.filter((s) => s.heapMB !== undefined).map((s) => ({ x: s.sockets, y: s.heapMB ?? 0 })));
  const result: SocketsResult = {
    requested: options.sockets,
    attempted,
    cappedBy,
    users: new Set(users.slice(0, attempted).map((u) => u.id)).size,
    connected,
    failed,
    stillConnected,
    holdSeconds: options.holdSeconds,
    connectSeconds: round(connectSeconds, 1),
    connectsPerSecond: round(connected / connectSeconds),
    rssSource: options.rssSource,
    apiRssBeforeMB: mb(before),
    apiRssAfterMB: mb(after),
    rssDeltaPerThousandMB:
      before !== undefined && after !== undefined && stillConnected > 0 ? round((after - before) / (1024 * 1024) / (stillConnected / 1000), 2) : undefined,
    rssSlopePerThousandMB: perThousand === undefined ? undefined : round(perThousand * 1000, 2),
    rssSamples,
    heapSlopePerThousandMB: heapPerThousand === undefined ? undefined : round(heapPerThousand * 1000, 2),
    errors: Object.fromEntries(errors),
    cpu,
  };
  progress.done(
    `${stillConnected}/${attempted} connected after ${options.holdSeconds} s, api RSS ${result.apiRssBeforeMB} -> ${result.apiRssAfterMB} MB (${result.rssSlopePerThousandMB ?? '-'} MB per 1,000)`,
  );
  return result;
}
