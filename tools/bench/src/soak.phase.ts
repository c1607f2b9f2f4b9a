import Redis from 'ioredis';
import type { Message, MessageStatusEvent } from '@mq/messaging-contracts';
import type { RedisTarget } from './bench.cli';
import { CONTENT_LENGTH, Pair, SendTransport, connectPairs, sendOne } from './direct-messages.phase';
import { ProgressBar } from './progress.bar';
import { CpuShare, CpuSubjects, cpuBetween, describeError, round, sampleCpu } from './process.probe';
import { mb, slope, sleep } from './stats.math';
import type { BenchUser, UserSource } from './users.seeder';

/** Accepted but not yet delivered messages allowed before the senders wait (as in the full-speed direct run). */
export const SOAK_BACKLOG_CAP = 2_000;
export const SOAK_SAMPLE_EVERY_SECONDS = 5;
/** A series levels off when its last-quarter maximum exceeds its second-quarter maximum by at most this much. */
export const LEVEL_OFF = { percent: 10, mb: 5 };
/** The drain ends when nothing arrives for this long: what is still missing then is lost. */
const DRAIN_STALL_MS = 15_000;
const DRAIN_MAX_MS = 300_000;
/**
 * A `message:status` that beat the POST's answer waits this long for its id; older ones were
 * repeats for messages already done (the id is no longer tracked) and are let go.
 */
const EARLY_STATUS_TTL_MS = 120_000;

const ACCEPTED = 1;
const RECEIVED = 2;
const DELIVERED = 4;

/** FNV-1a: 32 bits are enough to tell a redelivery (same id) from a second copy (another id). */
function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The soak's bookkeeping in fixed memory, whatever the message count: per send index one state
 * byte and 32-bit hashes of the accepted and the received id (9 bytes a message, 9 MB for a
 * million), plus maps of only what is in flight — an entry goes once the message is delivered.
 * A message arriving after its entry went is still classified: same id hash, redelivered;
 * another, duplicated (a hash collision, 1 in 4 billion, would call a duplicate a redelivery).
 */
class SoakTracker {
  private readonly state: Uint8Array;
  private readonly acceptedHash: Uint32Array;
  private readonly receivedHash: Uint32Array;
  /** Accepted, not yet delivered: message id → send index (`message:status` carries only the id). */
  private readonly awaitingStatus = new Map<string, number>();
  /** `message:status` that beat the POST's answer, by message id → when it came. */
  private readonly earlyStatus = new Map<string, number>();
  sent = 0;
  accepted = 0;
  rejected = 0;
  received = 0;
  delivered = 0;
  duplicated = 0;
  duplicateReceipts = 0;
  lastDeliveredAt = 0;
  readonly errors = new Map<string, number>();

  constructor(
    private readonly prefix: string,
    readonly capacity: number,
  ) {
    this.state = new Uint8Array(capacity);
    this.acceptedHash = new Uint32Array(capacity);
    this.receivedHash = new Uint32Array(capacity);
  }

  get tracked(): number {
    return this.awaitingStatus.size + this.earlyStatus.size;
  }

  clientMessageId(index: number): string {
    return `${this.prefix}-${index}`;
  }

  onAccepted(index: number, messageId: string, at: number): void {
    const hash = idHash(messageId);
    const state = this.state[index] as number;
    this.state[index] = state | ACCEPTED;
    this.acceptedHash[index] = hash;
    this.accepted += 1;
    if (state & RECEIVED && this.receivedHash[index] !== hash) this.duplicated += 1;
    if (this.earlyStatus.delete(messageId)) this.markDelivered(index, at);
    else this.awaitingStatus.set(messageId, index);
  }

  onRejected(error: unknown): void {
    this.rejected += 1;
    const key = describeError(error);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  onReceived(message: Message): void {
    const index = this.indexOf(message.clientMessageId);
    if (index === undefined) return;
    const hash = idHash(message.id);
    const state = this.state[index] as number;
    if (state & RECEIVED) {
      // The same message again is at-least-once delivery (clients dedupe by id); another id is a second copy.
      if (this.receivedHash[index] === hash) this.duplicateReceipts += 1;
      else this.duplicated += 1;
      return;
    }
    if (state & ACCEPTED && this.acceptedHash[index] !== hash) this.duplicated += 1;
    this.state[index] = state | RECEIVED;
    this.receivedHash[index] = hash;
    this.received += 1;
  }

  onStatus(event: MessageStatusEvent, at: number): void {
    if (event.status !== 'delivered') return;
    const index = this.awaitingStatus.get(event.messageId);
    if (index === undefined) {
      this.earlyStatus.set(event.messageId, at);
      return;
    }
    this.awaitingStatus.delete(event.messageId);
    this.markDelivered(index, at);
  }

  /** Lets go of early statuses no POST answer claimed (repeats for messages already delivered). */
  prune(now: number): void {
    for (const [id, at] of this.earlyStatus) if (now - at > EARLY_STATUS_TTL_MS) this.earlyStatus.delete(id);
  }

  /** Accepted but never received / never recorded delivered (one pass over the state bytes). */
  missing(): { notReceived: number; notDelivered: number } {
    let notReceived = 0;
    let notDelivered = 0;
    const sent = Math.min(this.sent, this.capacity);
    for (let i = 0; i < sent; i += 1) {
      const state = this.state[i] as number;
      if (!(state & ACCEPTED)) continue;
      if (!(state & RECEIVED)) notReceived += 1;
      if (!(state & DELIVERED)) notDelivered += 1;
    }
    return { notReceived, notDelivered };
  }

  private markDelivered(index: number, at: number): void {
    const state = this.state[index] as number;
    if (state & DELIVERED) return;
    this.state[index] = state | DELIVERED;
    this.delivered += 1;
    this.lastDeliveredAt = at;
  }

  private indexOf(clientMessageId: string | null | undefined): number | undefined {
    if (!clientMessageId?.startsWith(`${this.prefix}-`)) return undefined;
    const index = Number(clientMessageId.slice(this.prefix.length + 1));
    return Number.isInteger(index) && index >= 0 && index < this.capacity ? index : undefined;
  }
}

/** INFO memory and DBSIZE over one connection kept for the whole soak (a sample every 5 s for hours). */
class RedisSampler {
  private readonly redis: Redis;

  constructor(target: RedisTarget) {
    this.redis = new Redis({ ...target, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  async read(): Promise<{ usedMemory?: number; keys?: number }> {
    try {
      const [info, keys] = await Promise.all([this.redis.info('memory'), this.redis.dbsize()]);
      const usedMemory = /^used_memory:(\d+)/m.exec(info)?.[1];
      return { usedMemory: usedMemory === undefined ? undefined : Number(usedMemory), keys };
    } catch {
      return {};
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}

export interface SoakSample {
  stage: 'start' | 'sending' | 'drain' | 'end';
  /** Since the first send. */
  seconds: number;
  accepted: number;
  received: number;
  delivered: number;
  /** Delivered per second over the interval since the previous sample. */
  deliveredPerSecond: number;
  redisUsedMemoryMB?: number;
  /** DBSIZE of the queue db (the bench's queue prefix and whatever else shares that db). */
  redisKeys?: number;
  apiRssMB?: number;
  workerRssMB?: number;
  /** The bench's own RSS: its bookkeeping must stay flat too. */
  benchRssMB: number;
  /** How long the readings took (with --start, each RSS read forces a full GC first). */
  readMs: number;
}

export type SoakSeries = 'Redis used_memory' | 'api RSS' | 'worker RSS';

export interface SoakVerdict {
  series: SoakSeries;
  samples: number;
  secondQuarterMaxMB?: number;
  lastQuarterMaxMB?: number;
  growthMB?: number;
  growthPercent?: number;
  /** Least squares over the second half of the samples, MB per 100,000 messages delivered. */
  slopePer100kMB?: number;
  /** undefined: fewer than 4 samples, or the series was not readable. */
  levelledOff: boolean | undefined;
}

export interface SoakResult {
  requested: number;
  pairs: number;
  concurrency: number;
  backlogCap: number;
  contentLength: number;
  sent: number;
  accepted: number;
  rejected: number;
  received: number;
  delivered: number;
  notReceived: number;
  notDelivered: number;
  /** A second, different message for one clientMessageId: must be 0. */
  duplicated: number;
  /** The same message id again on the socket (at-least-once; clients drop it by id). */
  duplicateReceipts: number;
  sendingSeconds: number;
  /** Delivered when the last send was answered: where the drain begins on the chart. */
  deliveredWhenSendingEnded: number;
  drainSeconds: number;
  /** Delivered messages per second from the first send to the last `delivered`. */
  sustainedPerSecond: number;
  sampleEverySeconds: number;
  rssSource: string;
  redisDb: number;
  /** Early statuses and undelivered ids still held by the bench at the end (bounded bookkeeping). */
  trackedAtEnd: number;
  levelOffRule: string;
  verdicts: SoakVerdict[];
  /** Every readable series levelled off; undefined when none could be judged. */
  levelledOff: boolean | undefined;
  samples: SoakSample[];
  cpu: CpuShare;
  errors: Record<string, number>;
}

export interface SoakOptions {
  messages: number;
  transport: SendTransport;
  pairs: number;
  concurrency: number;
  redis: RedisTarget;
  readApiRss: () => Promise<number | undefined>;
  readWorkerRss: () => Promise<number | undefined>;
  rssSource: string;
  cores: number;
  cpuSubjects: CpuSubjects;
}

export const LEVEL_OFF_RULE =
  `levels off when the maximum of the last quarter of the samples is at most ${LEVEL_OFF.percent}% ` +
  `or ${LEVEL_OFF.mb} MB above the maximum of the second quarter (the first quarter is warm-up)`;

/** When the first of the users' tokens expires (ms since the epoch, from the JWT's `exp`); undefined if unknown. */
function tokensExpireAt(users: readonly BenchUser[]): number | undefined {
  let earliest: number | undefined;
  for (const user of users) {
    try {
      const payload = JSON.parse(Buffer.from(user.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof payload.exp === 'number' && (earliest === undefined || payload.exp * 1000 < earliest)) earliest = payload.exp * 1000;
    } catch {
      // Not a JWT: no expiry known.
    }
  }
  return earliest;
}

/** P direct conversations like the direct phase's, own users; recipients ack delivery like an app does. */
async function setUp(source: UserSource, count: number, tracker: SoakTracker, progress: ProgressBar): Promise<{ pairs: Pair[]; expiresAt?: number }> {
  let ready = 0;
  const { pairs, users } = await connectPairs(source, count, 'soak-', {
    onReceived: (message) => tracker.onReceived(message),
    onStatus: (event, at) => tracker.onStatus(event, at),
    onReady: () => {
      ready += 2;
      progress.update(ready, `${ready} sockets`);
    },
  });
  return { pairs, expiresAt: tokensExpireAt(users) };
}

/**
 * Warns (once) when, at the rate so far, the soak would outlast the users' tokens: the api then
 * refuses the sends and cuts the sockets, and the soak fails hours in. Better to know after a minute.
 */
function outlastsTokens(expiresAt: number | undefined, sample: SoakSample, messages: number): string | undefined {
  if (expiresAt === undefined || sample.seconds < 60 || sample.accepted === 0) return undefined;
  const remainingSeconds = ((messages - sample.accepted) / sample.accepted) * sample.seconds;
  if (Date.now() + remainingSeconds * 1000 < expiresAt) return undefined;
  const hours = (s: number): string => (s / 3600).toFixed(1);
  return (
    `soak: at ${Math.round(sample.accepted / sample.seconds)} msgs/s the remaining ${messages - sample.accepted} messages take ~${hours(remainingSeconds)} h, ` +
    `but the users' tokens expire in ${hours((expiresAt - Date.now()) / 1000)} h: expect rejections then (use a smaller --soak)`
  );
}

/** Maximum of the values, or undefined for none (no spread: a long soak has thousands of samples). */
function maxOf(values: readonly number[]): number | undefined {
  let max: number | undefined;
  for (const value of values) if (max === undefined || value > max) max = value;
  return max;
}

/**
 * Levelled off or not, by the rule above: the first quarter is warm-up (pools, JIT, Redis
 * filling to its retention), the second is the reference, the last must not be much above it.
 */
export function verdictFor(series: SoakSeries, samples: readonly SoakSample[], pick: (s: SoakSample) => number | undefined): SoakVerdict {
  const points: { x: number; y: number }[] = [];
  for (const sample of samples) {
    const y = pick(sample);
    if (y !== undefined) points.push({ x: sample.delivered, y });
  }
  const n = points.length;
  if (n < 4) return { series, samples: n, levelledOff: undefined };
  const second = maxOf(points.slice(Math.floor(n / 4), Math.floor(n / 2)).map((p) => p.y)) ?? 0;
  const last = maxOf(points.slice(Math.floor((3 * n) / 4)).map((p) => p.y)) ?? 0;
  const growth = last - second;
  const perMessage = slope(points.slice(Math.floor(n / 2)));
  return {
    series,
    samples: n,
    secondQuarterMaxMB: round(second, 1),
    lastQuarterMaxMB: round(last, 1),
    growthMB: round(growth, 1),
    growthPercent: second > 0 ? round((growth / second) * 100, 1) : undefined,
    slopePer100kMB: perMessage === undefined ? undefined : round(perMessage * 100_000, 2),
    levelledOff: growth <= LEVEL_OFF.mb || growth <= (second * LEVEL_OFF.percent) / 100,
  };
}

/**
 * Soak: N direct messages at full speed (closed loop, backlog capped) through P pairs, then a
 * drain, with Redis used_memory and keys, api and worker RSS sampled every 5 s. Bounded
 * retention shows as series that level off; a leak as one that keeps its slope.
 */
export async function measureSoak(source: UserSource, options: SoakOptions, progress: ProgressBar): Promise<SoakResult> {
  // Room for the sends that make up rejections (at most 1%, see soak()) and for those in flight.
  const capacity = options.messages + Math.max(100, Math.floor(options.messages / 100)) + 2 * options.concurrency;
  const tracker = new SoakTracker(`s${Date.now().toString(36)}`, capacity);
  progress.phase('soak: connecting', options.pairs * 2);
  const { pairs, expiresAt } = await setUp(source, options.pairs, tracker, progress);
  const socketErrors: string[] = [];
  for (const pair of pairs) pair.recipientSocket.onError((error) => socketErrors.push(error.message));
  progress.done(`${pairs.length} pairs connected`);

  const redis = new RedisSampler(options.redis);
  try {
    return await soak(tracker, pairs, redis, expiresAt, options, progress);
  } finally {
    redis.close();
    for (const pair of pairs) {
      pair.senderSocket.disconnect();
      pair.recipientSocket.disconnect();
    }
    if (socketErrors.length > 0) progress.log(`soak: ${socketErrors.length} socket errors, first: ${socketErrors[0]}`);
  }
}

async function soak(
  tracker: SoakTracker,
  pairs: readonly Pair[],
  redis: RedisSampler,
  tokensExpireAt: number | undefined,
  options: SoakOptions,
  progress: ProgressBar,
): Promise<SoakResult> {
  const samples: SoakSample[] = [];
  let t0 = performance.now();
  let lastSampleAt = 0;
  const sample = async (stage: SoakSample['stage']): Promise<SoakSample> => {
    const at = performance.now();
    const counts = { accepted: tracker.accepted, received: tracker.received, delivered: tracker.delivered };
    const [stats, apiRss, workerRss] = await Promise.all([redis.read(), options.readApiRss(), options.readWorkerRss()]);
    const previous = samples[samples.length - 1];
    const interval = (at - lastSampleAt) / 1000;
    const taken: SoakSample = {
      stage,
      seconds: round((at - t0) / 1000, 1),
      ...counts,
      deliveredPerSecond: previous && interval > 0 ? round((counts.delivered - previous.delivered) / interval) : 0,
      redisUsedMemoryMB: mb(stats.usedMemory),
      redisKeys: stats.keys,
      apiRssMB: mb(apiRss),
      workerRssMB: mb(workerRss),
      benchRssMB: mb(process.memoryUsage.rss()) ?? 0,
      readMs: round(performance.now() - at),
    };
    samples.push(taken);
    lastSampleAt = at;
    tracker.prune(at);
    return taken;
  };

  let stage: 'sending' | 'drain' = 'sending';
  let sampling = true;
  let latest: SoakSample | undefined;
  const detail = (): string =>
    `accepted ${tracker.accepted} · delivered ${tracker.delivered}` +
    (latest
      ? ` · ${latest.deliveredPerSecond}/s · Redis ${latest.redisUsedMemoryMB ?? '–'} MB · api ${latest.apiRssMB ?? '–'} MB · worker ${latest.workerRssMB ?? '–'} MB`
      : '');
  let warned = false;
  // Samples on their own schedule, one at a time (an RSS read after a full GC can take a moment).
  const sampler = async (): Promise<void> => {
    while (sampling) {
      const next = performance.now() + SOAK_SAMPLE_EVERY_SECONDS * 1000;
      while (sampling && performance.now() < next) await sleep(100);
      if (!sampling) break;
      latest = await sample(stage);
      const warning = warned || stage !== 'sending' ? undefined : outlastsTokens(tokensExpireAt, latest, options.messages);
      if (warning) {
        warned = true;
        progress.log(warning);
      }
    }
  };

  const cpuStart = await sampleCpu(options.cpuSubjects);
  t0 = performance.now();
  latest = await sample('start');
  const samplerDone = sampler();
  let index = 0;
  let posting = 0;
  let sendingEnded = t0;
  let deliveredWhenSendingEnded = 0;
  // Rejections are made up with new sends until N are accepted; past 1% the pipeline is failing, not soaking.
  const rejectLimit = Math.max(100, Math.floor(options.messages / 100));
  try {
    progress.phase(`soak: ${options.messages.toLocaleString('en-US')} msgs`, options.messages);
    const send = async (): Promise<void> => {
      const i = index++;
      const pair = pairs[i % pairs.length] as Pair;
      const clientMessageId = tracker.clientMessageId(i);
      tracker.sent += 1;
      posting += 1;
      try {
        const message = await sendOne(pair, options.transport, clientMessageId);
        tracker.onAccepted(i, message.id, performance.now());
      } catch (error) {
        tracker.onRejected(error);
      } finally {
        posting -= 1;
      }
    };
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        // Sends in flight count towards N; a rejected one makes room for another.
        while (tracker.accepted + posting < options.messages && tracker.rejected <= rejectLimit && index < tracker.capacity) {
          // Wait while the pipeline is behind: the soak measures retention at the sustained rate, not a growing backlog.
          if (tracker.accepted - tracker.delivered > SOAK_BACKLOG_CAP) {
            await sleep(5);
            continue;
          }
          await send();
          progress.update(tracker.delivered, detail());
        }
      }),
    );
    sendingEnded = performance.now();
    deliveredWhenSendingEnded = tracker.delivered;
    if (tracker.rejected > rejectLimit) {
      const [first] = [...tracker.errors].sort((a, b) => b[1] - a[1]);
      throw new Error(`${tracker.rejected} sends rejected (more than ${rejectLimit}), most often: ${first?.[0] ?? '?'}`);
    }

    // Drain: every accepted message received and recorded delivered, or no progress for a while.
    stage = 'drain';
    let lastCount = -1;
    let lastProgress = performance.now();
    while (performance.now() - sendingEnded < DRAIN_MAX_MS) {
      if (tracker.received >= tracker.accepted && tracker.delivered >= tracker.accepted) break;
      const count = tracker.received + tracker.delivered;
      if (count !== lastCount) {
        lastCount = count;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > DRAIN_STALL_MS) {
        break;
      }
      progress.update(tracker.delivered, `drain · ${detail()}`);
      await sleep(50);
    }
  } finally {
    sampling = false;
    await samplerDone;
  }
  const drainEnded = performance.now();
  await sample('end');
  const cpu = cpuBetween(cpuStart, await sampleCpu(options.cpuSubjects), options.cores);

  const verdicts = [
    verdictFor('Redis used_memory', samples, (s) => s.redisUsedMemoryMB),
    verdictFor('api RSS', samples, (s) => s.apiRssMB),
    verdictFor('worker RSS', samples, (s) => s.workerRssMB),
  ];
  const judged = verdicts.filter((v) => v.levelledOff !== undefined);
  const { notReceived, notDelivered } = tracker.missing();
  const result: SoakResult = {
    requested: options.messages,
    pairs: pairs.length,
    concurrency: options.concurrency,
    backlogCap: SOAK_BACKLOG_CAP,
    contentLength: CONTENT_LENGTH,
    sent: tracker.sent,
    accepted: tracker.accepted,
    rejected: tracker.rejected,
    received: tracker.received,
    delivered: tracker.delivered,
    notReceived,
    notDelivered,
    duplicated: tracker.duplicated,
    duplicateReceipts: tracker.duplicateReceipts,
    sendingSeconds: round((sendingEnded - t0) / 1000, 1),
    deliveredWhenSendingEnded,
    drainSeconds: round((drainEnded - sendingEnded) / 1000, 1),
    sustainedPerSecond: tracker.lastDeliveredAt > t0 ? round(tracker.delivered / ((tracker.lastDeliveredAt - t0) / 1000)) : 0,
    sampleEverySeconds: SOAK_SAMPLE_EVERY_SECONDS,
    rssSource: options.rssSource,
    redisDb: options.redis.db,
    trackedAtEnd: tracker.tracked,
    levelOffRule: LEVEL_OFF_RULE,
    verdicts,
    levelledOff: judged.length === 0 ? undefined : judged.every((v) => v.levelledOff === true),
    samples,
    cpu,
    errors: Object.fromEntries(tracker.errors),
  };
  progress.done(
    `${result.sustainedPerSecond} msgs/s sustained, ${notReceived + notDelivered > 0 ? `${notReceived} not received, ${notDelivered} not delivered` : 'none lost'}, ` +
      `${result.duplicated} duplicated; levels off: ${verdicts.map((v) => `${v.series} ${v.levelledOff === undefined ? 'n/a' : v.levelledOff ? 'yes' : 'NO'}`).join(', ')}`,
  );
  return result;
}
