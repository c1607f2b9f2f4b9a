import { CONTENT_LENGTH, Pair, connectPairs, sendOne } from './direct-messages.phase';
import { ProgressBar } from './progress.bar';
import { cpuBetween, round, sampleCpu } from './process.probe';
import { mb, sleep } from './stats.math';
import type { UserSource } from './users.seeder';
import { RedisSampler, SoakTracker } from './soak.tracker';
import { LEVEL_OFF_RULE, SoakSample, verdictFor } from './soak.verdict';
import { outlastsTokens, tokensExpireAt } from './token-expiry.helper';
import { SizeCheckpoints, tenthRates } from './soak-sizes.probe';
import type { SoakOptions, SoakResult } from './soak.types';

/** Accepted but not yet delivered messages allowed before the senders wait (as in the full-speed direct run). */
export const SOAK_BACKLOG_CAP = 2_000;
export const SOAK_SAMPLE_EVERY_SECONDS = 5;
/** The drain ends when nothing arrives for this long: what is still missing then is lost. */
const DRAIN_STALL_MS = 15_000;
const DRAIN_MAX_MS = 300_000;
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

  const sizes = new SizeCheckpoints(options.databaseUrl, options.messages, tracker);
  tracker.onDeliveredCount = (delivered, at) => sizes.onDelivered(delivered, at);
  const cpuStart = await sampleCpu(options.cpuSubjects);
  t0 = performance.now();
  await sizes.start(t0);
  latest = await sample('start');
  const samplerDone = sampler();
  let index = 0;
  let posting = 0;
  let sendingStarted = t0;
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
    sendingStarted = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        // Sends in flight count towards N; a rejected one makes room for another.
        while (
          tracker.accepted + posting < options.messages &&
          tracker.rejected <= rejectLimit &&
          index < tracker.capacity &&
          options.stopSending?.aborted !== true
        ) {
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
  const soakSizes = await sizes.finish();
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
    stoppedEarly: options.stopSending?.aborted === true && tracker.accepted < options.messages,
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
    ...(soakSizes ? { sizes: soakSizes } : {}),
    tenths: tenthRates(sendingStarted, sizes.marks, { delivered: tracker.delivered, at: tracker.lastDeliveredAt }),
    cpu,
    errors: Object.fromEntries(tracker.errors),
  };
  progress.done(
    `${result.sustainedPerSecond} msgs/s sustained, ${notReceived + notDelivered > 0 ? `${notReceived} not received, ${notDelivered} not delivered` : 'none lost'}, ` +
      `${result.duplicated} duplicated; levels off: ${verdicts.map((v) => `${v.series} ${v.levelledOff === undefined ? 'n/a' : v.levelledOff ? 'yes' : 'NO'}`).join(', ')}`,
  );
  return result;
}
