import Redis from 'ioredis';
import { QUEUE } from '@mq/queue-contracts';
import { sql, TestStack } from '@mq/system-testing';
import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill, DrillContext, DrillOutcome } from '../drill.types';
import { startRedis } from '../throwaway-servers';
import { apiUrls, withStack } from './drill.stack';
import { queueKeyPrefix } from '@mq/queue';

const OUTAGE_MS = 3_000;

/**
 * Redis goes away mid-load and comes back on the same port. `persistent`: AOF on and a
 * graceful stop (SIGTERM), as docker-compose runs it: queued jobs survive. Otherwise a crash
 * with nothing persisted: every queued job is gone (DESIGN.md: "Redis is disposable").
 */
async function redisOutage(context: DrillContext, persistent: boolean): Promise<DrillOutcome> {
  const redis = await startRedis(persistent);
  try {
    return await withStack({ apis: 1, redisPort: redis.port }, async (stack) => {
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: persistent ? 'rr' : 'rf' });
        await sleep(context.faultAfterMs);
        await redis.stop(persistent ? 'SIGTERM' : 'SIGKILL');
        const faultAt = now();
        const faultWall = Date.now();
        context.log(persistent ? 'redis stopped (SIGTERM, AOF kept)' : 'redis killed (SIGKILL, nothing persisted)');
        await sleep(OUTAGE_MS);
        await redis.start();
        context.log(`redis back after ${Math.round(now() - faultAt)} ms down`);
        await load;
        const settled = await settle(stack, pairs, faultAt);
        const ids = pairs.flatMap((p) => [...p.sender.accepted.values()].map((a) => a.id));
        // A message still `queued` was never sent by a worker: its send-message job was lost with Redis.
        const [row] = await sql<{ n: number }>(stack.database.url, `SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'queued'`, [
          ids,
        ]);
        const lostJobs = row?.n ?? 0;
        // Why a message was never sent: the job its delivery rows name, that job's outbox row, and its recorded history.
        const unsent =
          lostJobs === 0
            ? []
            : await sql<{ job_id: string | null; published: boolean | null; attempts: number | null; events: string | null }>(
                stack.database.url,
                `SELECT DISTINCT d.job_id, o.published_at IS NOT NULL AS published, o.attempts,
                  ${historyOf('d.job_id')} AS events
           FROM messages m JOIN message_deliveries d ON d.message_id = m.id LEFT JOIN outbox o ON o.job_id = d.job_id
           WHERE m.id = ANY($1::uuid[]) AND m.status = 'queued' LIMIT 5`,
                [ids, faultWall],
              );
        // Why a delivery was never recorded: its receipt's outbox row (missing, unpublished, failing) and job.
        const stuck = await sql<{
          status: string;
          job_id: string | null;
          published: boolean | null;
          attempts: number | null;
          last_error: string | null;
          created_ms: number;
          published_ms: number;
          events: string | null;
          d_updated_ms: number;
        }>(
          stack.database.url,
          `SELECT d.status, o.job_id, o.published_at IS NOT NULL AS published, o.attempts, o.last_error,
                  extract(epoch from o.created_at)*1000 - $2 AS created_ms, extract(epoch from o.published_at)*1000 - $2 AS published_ms,
                  extract(epoch from d.updated_at)*1000 - $2 AS d_updated_ms,
                  ${historyOf('o.job_id')} AS events
           FROM message_deliveries d
           -- The receipt's job: its own, or a batch whose payload holds it.
           LEFT JOIN outbox o ON o.job_name = 'delivery-confirmation'
             AND o.payload->'receipts' @> jsonb_build_array(jsonb_build_object('messageId', d.message_id::text, 'recipientId', d.recipient_id::text))
           WHERE d.message_id = ANY($1::uuid[]) AND d.status NOT IN ('delivered', 'read') LIMIT 5`,
          [ids, faultWall],
        );
        return {
          ...settled,
          checks: standardChecks(settled.counts),
          notes: [
            ...(lostJobs > 0
              ? [
                  `${lostJobs} accepted messages were never sent by a worker (their send-message jobs vanished with Redis); recipients got them only by catching up`,
                ]
              : []),
            ...unsent.map((r) => `never sent: job ${r.job_id ?? 'none'} published=${r.published} attempts=${r.attempts} history=${r.events ?? 'none'}`),
            ...stuck.map(
              (r) =>
                `not recorded: delivery ${r.status}, receipt ${r.job_id ? `${r.job_id} published=${r.published} attempts=${r.attempts}${r.last_error ? ` (${r.last_error})` : ''} created ${Math.round(r.created_ms)} published ${Math.round(r.published_ms)} row updated ${Math.round(r.d_updated_ms)} ms after the fault; history ${r.events ?? 'none'}` : 'never staged'}`,
            ),
            ...(stuck[0]?.job_id ? [await bullState(stack, stuck[0].job_id)] : []),
            ...restoredNotes(stack),
            ...settled.errors,
          ],
        };
      } finally {
        closePairs(pairs);
      }
    });
  } finally {
    await redis.destroy();
  }
}

/** A job's recorded outcomes, each with its time in ms after the fault ($2). */
function historyOf(jobId: string): string {
  return `(SELECT string_agg(e.kind || '@' || round(extract(epoch from e.at) * 1000 - $2), ',' ORDER BY e.at) FROM job_events e WHERE e.job_id = ${jobId})`;
}

/** Jobs the worker caught mid-take when Redis died, and put back from the outbox (its log says so). */
function restoredNotes(stack: TestStack): string[] {
  const restored = (stack.worker?.tail(400) ?? '').split('\n').filter((line) => line.includes('restored from the outbox')).length;
  return restored > 0 ? [`${restored} job(s) caught mid-take by the crash were restored from the outbox`] : [];
}

/** What Redis holds under a job id at the end: its hash (without data) and which of Bull's lists and sets name it. */
async function bullState(stack: TestStack, jobId: string): Promise<string> {
  const redis = new Redis({ host: '127.0.0.1', port: stack.queue.redis.port, db: stack.queue.redis.db, lazyConnect: true });
  await redis.connect();
  const base = `${queueKeyPrefix(stack.queue.prefix, QUEUE.DELIVERY)}:${QUEUE.DELIVERY}`;
  const [hash, wait, active, delayed, completed, failed, prio, waiting, activeCount] = await Promise.all([
    redis.hgetall(`${base}:${jobId}`),
    redis.lpos(`${base}:wait`, jobId),
    redis.lpos(`${base}:active`, jobId),
    redis.zscore(`${base}:delayed`, jobId),
    redis.zscore(`${base}:completed`, jobId),
    redis.zscore(`${base}:failed`, jobId),
    redis.zscore(`${base}:priority`, jobId),
    redis.llen(`${base}:wait`),
    redis.llen(`${base}:active`),
  ]);
  redis.disconnect();
  return `in Redis: ${jobId} ${JSON.stringify({ ...hash, data: undefined, opts: undefined })} wait=${wait} active=${active} delayed=${delayed} completed=${completed} failed=${failed} priority=${prio}; waiting ${waiting}, active ${activeCount}`;
}

export const redisRestartDrill: Drill = {
  name: 'redis-restart',
  title: 'Redis restarted mid-load (AOF on, graceful stop, 3 s down)',
  run: (context) => redisOutage(context, true),
};

export const redisFlushDrill: Drill = {
  name: 'redis-flush',
  title: 'Redis crashed mid-load with nothing persisted (3 s down, comes back empty)',
  run: (context) => redisOutage(context, false),
};
