import type { Message, MessageStatusEvent } from '@mq/messaging-contracts';
import { sql } from '@mq/system-testing';
import { MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { ProgressBar } from './progress.bar';
import { cpuBetween, round, sampleCpu } from './process.probe';
import { DatabaseCounters, databaseCounters, perMessageCost, redisCommandsProcessed } from './cost.probe';
import { histogram, mapLimit, percentiles, perSecond, sleep } from './stats.math';
import type { BenchUser, UserSource } from './users.seeder';
import { Tracker } from './direct-send.tracker';
import { startQueryStats } from './query-stats.probe';
import { DirectOptions, DirectResult, DirectRun, SendTransport } from './direct-messages.types';

/** Content length of a bench message: a typical short note between school and family. */
export const CONTENT_LENGTH = 160;
/** Open-loop runs stop issuing (and count the send as dropped) past this many requests in flight. */
const MAX_IN_FLIGHT = 1_000;
/** Full speed: accepted but not yet delivered messages allowed before the senders wait. */
const BACKLOG_CAP = 2_000;

export interface Pair {
  conversationId: string;
  sender: MessagingClient;
  senderSocket: RealtimeConnection;
  recipientSocket: RealtimeConnection;
}

/** A bench message's text: its clientMessageId, padded to CONTENT_LENGTH. */
export function benchContent(clientMessageId: string): string {
  const head = `bench ${clientMessageId} `;
  return head + 'x'.repeat(Math.max(0, CONTENT_LENGTH - head.length));
}

export interface PairListeners {
  onReceived(message: Message, at: number): void;
  onStatus(event: MessageStatusEvent, at: number): void;
  /** Both sockets of one pair are connected. */
  onReady?(): void;
}

/** P direct conversations, sender and recipient both connected; recipients ack delivery like an app does. */
export async function connectPairs(source: UserSource, count: number, label: string, listeners: PairListeners): Promise<{ pairs: Pair[]; users: BenchUser[] }> {
  const senders = await source.users(count, `${label}sender`);
  const recipients = await source.users(count, `${label}recipient`);
  const pairs = await mapLimit(senders, 20, async (senderUser: BenchUser, i) => {
    const recipientUser = recipients[i] as BenchUser;
    const sender = source.client(senderUser);
    const { body: conversation } = await sender.createConversation({ type: 'direct', participantIds: [recipientUser.id] });
    const senderSocket = sender.connect({ transports: ['websocket'], userId: senderUser.id });
    const recipientSocket = source.client(recipientUser).connect({ transports: ['websocket'], autoAckDelivered: true, userId: recipientUser.id });
    recipientSocket.on('message:new', (message) => listeners.onReceived(message, performance.now()));
    senderSocket.on('message:status', (event) => listeners.onStatus(event, performance.now()));
    await Promise.all([senderSocket.ready(), recipientSocket.ready()]);
    listeners.onReady?.();
    return { conversationId: conversation.id, sender, senderSocket, recipientSocket };
  });
  return { pairs, users: [...senders, ...recipients] };
}

/**
 * Direct messages end to end: a send accepted (the socket's ack of `message:send`, or the answer
 * to POST /messages) -> `message:new` at the recipient's socket (received) -> the recipient's
 * `message:delivered` recorded by the worker and reported to the sender as `message:status`
 * (delivered). Once at a fixed offered rate (open loop: sends leave on schedule whatever the
 * answers do), once at full speed (closed loop), once at full speed over the other transport.
 */
export async function measureDirectMessages(source: UserSource, options: DirectOptions, progress: ProgressBar): Promise<DirectResult> {
  let current: Tracker | undefined;
  progress.phase('direct: connecting', options.pairs * 2);
  const { pairs } = await connectPairs(source, options.pairs, '', {
    onReceived: (message, at) => current?.onReceived(message, at),
    onStatus: (event, at) => current?.onStatus(event, at),
  });
  const socketErrors: string[] = [];
  for (const pair of pairs) pair.recipientSocket.onError((error) => socketErrors.push(error.message));
  progress.done(`${pairs.length} pairs connected`);

  const runs: DirectRun[] = [];
  try {
    // Unmeasured first: JIT, pools and caches warm, and tables that hold some rows. Then, on the
    // run's own database, ANALYZE, as autovacuum does within a minute of a deployment's first
    // traffic: the runs meet the plans a running system has, not those a table of ten rows gave
    // (prepared statements keep their plan until the table's statistics change).
    current = new Tracker(performance.now());
    // Gently (a closed loop of 64): a deep backlog left behind would still be draining into the first run.
    const warmUp = { ...options, durationSeconds: options.warmupSeconds, concurrency: Math.min(64, options.concurrency) };
    await run('full-speed', 0, options.transport, current, pairs, warmUp, progress, 'warm-up');
    current = undefined;
    if (options.databaseUrl) await sql(options.databaseUrl, 'ANALYZE');
    const other: SendTransport = options.transport === 'socket' ? 'rest' : 'socket';
    const plan: { mode: DirectRun['mode']; rate: number; transport: SendTransport }[] = [
      { mode: 'fixed-rate', rate: options.rate, transport: options.transport },
      { mode: 'full-speed', rate: 0, transport: options.transport },
      { mode: 'full-speed', rate: 0, transport: other },
    ];
    for (let i = 0; i < plan.length; i += 1) {
      const step = plan[i] as (typeof plan)[number];
      current = new Tracker(performance.now());
      const result = await run(step.mode, step.rate, step.transport, current, pairs, options, progress);
      runs.push(result);
      current = undefined;
      // Then latency at a load the pipeline can carry: half what full speed sustained (when below the asked rate).
      const sustainable = Math.floor(result.sustainedPerSecond / 2);
      if (step.mode === 'full-speed' && step.transport === options.transport && sustainable >= 5 && sustainable < options.rate) {
        plan.push({ mode: 'fixed-rate', rate: sustainable, transport: options.transport });
      }
      await sleep(500);
    }
  } finally {
    for (const pair of pairs) {
      pair.senderSocket.disconnect();
      pair.recipientSocket.disconnect();
    }
  }
  if (socketErrors.length > 0) progress.log(`direct: ${socketErrors.length} socket errors, first: ${socketErrors[0]}`);
  return { pairs: pairs.length, contentLength: CONTENT_LENGTH, runs };
}

async function run(
  mode: DirectRun['mode'],
  rate: number,
  transport: SendTransport,
  tracker: Tracker,
  pairs: Pair[],
  options: DirectOptions,
  progress: ProgressBar,
  name?: string,
): Promise<DirectRun> {
  const label = name ?? `${mode === 'fixed-rate' ? `direct @${rate}/s` : `direct full speed`} (${transport})`;
  const prefix = `${mode === 'fixed-rate' ? `f${rate}` : 'm'}${Date.now().toString(36)}`;
  const expected = mode === 'fixed-rate' ? rate * options.durationSeconds : options.durationSeconds * 1000;
  progress.phase(label, options.durationSeconds * 1000);
  const cpuStart = await sampleCpu(options.cpuSubjects);
  const dbStart: DatabaseCounters | undefined = options.databaseUrl ? await databaseCounters(options.databaseUrl) : undefined;
  const redisStart = await redisCommandsProcessed(options.redis);
  // Postgres statements for both socket runs: at a fixed rate the batches are small and each pays its statements whole.
  const statsWindow = options.queryStats && !name ? await startQueryStats(options.redis, options.databaseUrl, transport === 'socket') : undefined;
  let inFlight = 0;
  let index = 0;

  const send = async (): Promise<void> => {
    const i = index++;
    const pair = pairs[i % pairs.length] as Pair;
    const clientMessageId = `${prefix}-${i}`;
    tracker.onSent(clientMessageId, performance.now());
    inFlight += 1;
    try {
      const message = await sendOne(pair, transport, clientMessageId);
      tracker.onAccepted(clientMessageId, message.id, performance.now());
    } catch (error) {
      tracker.onRejected(error);
    } finally {
      inFlight -= 1;
    }
  };
  const detail = (): string =>
    `sent ${tracker.sent} · accepted ${tracker.accepted} · received ${tracker.received} · delivered ${tracker.delivered} · in flight ${inFlight}`;

  const t0 = tracker.origin;
  const end = t0 + options.durationSeconds * 1000;
  const pending = new Set<Promise<void>>();
  if (mode === 'fixed-rate') {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(expected, Math.floor(((now - t0) / 1000) * rate));
        while (index < due) {
          if (inFlight >= MAX_IN_FLIGHT) {
            index += 1;
            tracker.dropped += 1;
            continue;
          }
          const promise = send();
          pending.add(promise);
          void promise.finally(() => pending.delete(promise));
        }
        progress.update(now - t0, detail());
        if (index >= expected) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
  } else {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < end) {
          // Wait while the pipeline is behind: the run measures the sustained rate, not how fast a backlog grows.
          if (tracker.accepted - tracker.delivered > BACKLOG_CAP) {
            await sleep(5);
            continue;
          }
          await send();
          progress.update(performance.now() - t0, detail());
        }
      }),
    );
  }
  await Promise.all([...pending]);
  const sendingEnded = performance.now();
  const sendingSeconds = (sendingEnded - t0) / 1000;
  const backlogAtEnd = tracker.accepted - tracker.delivered;

  // Drain: wait for every accepted message to be received and recorded, or for progress to stop.
  progress.phase(`${label}: drain`, tracker.accepted);
  let lastProgress = performance.now();
  let lastCount = -1;
  const drainDeadline = sendingEnded + Math.max(15_000, options.durationSeconds * 2_000);
  while (performance.now() < drainDeadline) {
    const count = tracker.received + tracker.delivered;
    if (tracker.received >= tracker.accepted && tracker.delivered >= tracker.accepted) break;
    if (count !== lastCount) {
      lastCount = count;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 10_000) {
      break;
    }
    progress.update(Math.min(tracker.received, tracker.delivered), detail());
    await sleep(50);
  }
  const cpu = cpuBetween(cpuStart, await sampleCpu(options.cpuSubjects), options.cores);
  const dbEnd = options.databaseUrl ? await databaseCounters(options.databaseUrl) : undefined;
  const redisEnd = await redisCommandsProcessed(options.redis);
  const queryStats = await statsWindow?.finish(tracker.delivered);

  const perSecondOver = (count: number, times: number[]): number => {
    const last = maxOf(times, t0);
    return last > t0 ? round(count / ((last - t0) / 1000)) : 0;
  };
  const lastEvent = Math.max(sendingEnded, maxOf(tracker.deliveredTimes, 0), maxOf(tracker.receivedTimes, 0));
  const seconds = Math.ceil((lastEvent - t0) / 1000);
  const deliveredBuckets = perSecond(tracker.deliveredTimes, t0, seconds);
  const steadyWindow = deliveredBuckets.slice(1, Math.max(2, Math.floor(sendingSeconds)));
  const receiveLatencies = tracker.latencies((t) => t.receivedAt);
  const result: DirectRun = {
    mode,
    transport,
    ...(mode === 'fixed-rate' ? { offeredPerSecond: rate } : { concurrency: options.concurrency }),
    sendingSeconds: round(sendingSeconds, 1),
    sent: tracker.sent,
    accepted: tracker.accepted,
    rejected: tracker.rejected,
    dropped: tracker.dropped,
    received: tracker.received,
    delivered: tracker.delivered,
    duplicateReceipts: tracker.duplicateReceipts,
    duplicated: tracker.duplicated,
    notReceived: tracker.accepted - tracker.received,
    notDelivered: tracker.accepted - tracker.delivered,
    acceptedPerSecond: perSecondOver(tracker.accepted, tracker.acceptedTimes),
    receivedPerSecond: perSecondOver(tracker.received, tracker.receivedTimes),
    sustainedPerSecond: perSecondOver(tracker.delivered, tracker.deliveredTimes),
    steadyDeliveredPerSecond: median(steadyWindow),
    backlogAtEnd,
    latencyMs: {
      accept: percentiles(tracker.latencies((t) => t.acceptedAt)),
      receive: percentiles(receiveLatencies),
      delivered: percentiles(tracker.latencies((t) => t.deliveredAt)),
    },
    receiveHistogram: histogram(receiveLatencies),
    timeline: {
      accepted: perSecond(tracker.acceptedTimes, t0, seconds),
      received: perSecond(tracker.receivedTimes, t0, seconds),
      delivered: deliveredBuckets,
    },
    cpu,
    perMessage: perMessageCost(tracker.delivered, cpu, dbStart, dbEnd, redisStart, redisEnd, options.cores),
    ...(queryStats ? { queryStats } : {}),
    errors: Object.fromEntries(tracker.errors),
  };
  progress.done(
    `${result.sustainedPerSecond} msgs/s sustained, receive p50 ${result.latencyMs.receive.p50} ms p99 ${result.latencyMs.receive.p99} ms` +
      (result.notDelivered > 0 ? `, ${result.notDelivered} not delivered` : ''),
  );
  return result;
}

/** One bench message from the pair's sender, over the given transport; resolves with the stored message. */
export async function sendOne(pair: Pair, transport: SendTransport, clientMessageId: string): Promise<Message> {
  const request = { conversationId: pair.conversationId, content: benchContent(clientMessageId), clientMessageId };
  if (transport === 'socket') return pair.senderSocket.sendViaSocket(request);
  return (await pair.sender.sendMessage(request)).body.message;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Math.max without spreading (a spread of 100,000 values overflows the call stack). */
function maxOf(values: readonly number[], fallback: number): number {
  let max = fallback;
  for (const value of values) if (value > max) max = value;
  return max;
}
