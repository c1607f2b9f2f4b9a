import { sql } from '@mq/system-testing';
import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { Member, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { apiUrls, withStack } from './drill.stack';

const POISON_MESSAGES = 3;
/** The delivery queue's 5 attempts back off 2 + 4 + 8 + 16 s before the last one fails. */
const DEAD_LETTER_WAIT_MS = 75_000;
/** Other messages must keep flowing while the poison is retried. */
const MAX_OTHER_P99_MS = 5_000;

export const poisonMessageDrill: Drill = {
  name: 'poison',
  title: 'a message that always fails (recipient deactivated) ends in dead letters without holding others up',
  run: (context) =>
    withStack({ apis: 1 }, async (stack) => {
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const [poisoner, victim] = (await stack.users(2, 0, 'poison')) as [Member, Member];
        const { body: conversation } = await poisoner.client.createConversation({ type: 'direct', participantIds: [victim.id] });
        const admin = await stack.admin();
        await admin.operator.updateUser(victim.id, { active: false });
        // The poison goes out together with the load, so it shares the api's batches (and their send jobs) with good messages.
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: 'ps' });
        const poisonIds = await Promise.all(
          Array.from({ length: POISON_MESSAGES }, async (_, i) => {
            const { body } = await poisoner.client.sendMessage({ conversationId: conversation.id, content: `poison ${i}`, clientMessageId: `poison-${i}` });
            return body.message.id;
          }),
        );
        const poisonedAt = Date.now();
        context.log(`${POISON_MESSAGES} messages sent to a deactivated recipient, amid the load (messages ${poisonIds.join(', ')})`);
        await load;
        const settled = await settle(stack, pairs, undefined);
        const latencies = pairs
          .flatMap((p) => [...p.sender.accepted.values()].map((a) => (p.recipient.arrivals.get(a.id)?.at ?? Number.NaN) - a.sentAt))
          .filter((v) => Number.isFinite(v))
          .sort((a, b) => a - b);
        const p99 = Math.round(latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)] ?? Number.NaN);

        let dead: { job_id: string; attempts_made: number; failed_reason: string }[] = [];
        while (Date.now() - poisonedAt < DEAD_LETTER_WAIT_MS) {
          // The job that fails is the one the undeliverable row names: the message's own, split out of a shared batch if need be.
          dead = await sql(
            stack.database.url,
            `SELECT job_id, attempts_made, failed_reason FROM dead_letters
             WHERE job_id IN (SELECT job_id FROM message_deliveries WHERE message_id = ANY($1::uuid[]))`,
            [poisonIds],
          );
          if (dead.length >= POISON_MESSAGES) break;
          await sleep(500);
        }
        const [rows] = await sql<{ failed: number }>(
          stack.database.url,
          `SELECT count(*) FILTER (WHERE d.status = 'failed')::int AS failed FROM message_deliveries d JOIN messages m ON m.id = d.message_id WHERE m.conversation_id = $1`,
          [conversation.id],
        );
        const deadLettered = dead.filter((d) => d.attempts_made === 5).length;
        return {
          counts: settled.counts,
          checks: [
            ...standardChecks(settled.counts),
            {
              name: 'poison dead-lettered',
              ok: deadLettered === POISON_MESSAGES,
              detail: `${deadLettered}/${POISON_MESSAGES} after 5 attempts (${dead[0]?.failed_reason ?? 'none yet'})`,
            },
            { name: 'poison deliveries failed', ok: rows?.failed === POISON_MESSAGES, detail: `${rows?.failed ?? 0}/${POISON_MESSAGES} rows failed` },
            { name: 'others not held up', ok: p99 <= MAX_OTHER_P99_MS, detail: `p99 send → receive ${p99} ms while the poison retried` },
          ],
          notes: [`dead letters recorded ${Math.round((Date.now() - poisonedAt) / 1000)} s after the poison was sent`, ...settled.errors],
        };
      } finally {
        closePairs(pairs);
      }
    }),
};
