import { sql } from '@mq/system-testing';
import { closePairs, createPairs, Pair, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Accepted } from '../drill.sender';
import type { Drill } from '../drill.types';
import { apiUrls, withStack } from './drill.stack';

/**
 * Every message is sent twice at the same moment with the same clientMessageId, once through
 * each api instance: REST + REST for even ones, socket `message:send` on #0 + REST on #1 for
 * odd ones. Both answers must name the same message, and it must exist once.
 */
export const duplicateSendsDrill: Drill = {
  name: 'duplicate-sends',
  title: 'the same clientMessageId through both api instances at once (REST and socket)',
  run: (context) =>
    withStack({ apis: 2 }, async (stack) => {
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const sockets = await Promise.all(
          pairs.map(async (pair) => {
            const socket = pair.sender.client(0).connect({ transports: ['websocket'] });
            await socket.ready();
            return socket;
          }),
        );
        const total = Math.round((context.rate * context.durationMs) / 1000 / 2);
        let mismatched = 0;
        let secondFailed = 0;
        const clientIds: string[] = [];
        const sends: Promise<void>[] = [];
        const t0 = now();
        for (let i = 0; i < total; i += 1) {
          while (now() - t0 < (i / (context.rate / 2)) * 1000) await sleep(2);
          const index = i % pairs.length;
          const pair = pairs[index] as Pair;
          const clientMessageId = `dup-${i}`;
          clientIds.push(clientMessageId);
          const second = async (): Promise<string | undefined> => {
            try {
              if (i % 2 === 0)
                return (
                  await pair.sender.client(1).sendMessage({ conversationId: pair.sender.conversationId, content: `drill ${clientMessageId}`, clientMessageId })
                ).body.message.id;
              return (await sockets[index]?.sendViaSocket({ conversationId: pair.sender.conversationId, content: `drill ${clientMessageId}`, clientMessageId }))
                ?.id;
            } catch {
              secondFailed += 1;
              return undefined;
            }
          };
          sends.push(
            Promise.all([pair.sender.send(clientMessageId, 0), second()]).then(([first, other]: [Accepted | undefined, string | undefined]) => {
              if (first && other && first.id !== other) mismatched += 1;
            }),
          );
        }
        await Promise.all(sends);
        for (const socket of sockets) socket.disconnect();
        const settled = await settle(stack, pairs, undefined);
        const [row] = await sql<{ messages: number }>(
          stack.database.url,
          `SELECT count(*)::int AS messages FROM messages WHERE client_message_id = ANY($1::text[])`,
          [clientIds],
        );
        return {
          counts: settled.counts,
          checks: [
            ...standardChecks(settled.counts),
            { name: 'same message for both sends', ok: mismatched === 0, detail: `${mismatched} of ${total} pairs answered different ids` },
            { name: 'stored once', ok: row?.messages === total, detail: `${row?.messages ?? '?'} rows for ${total} clientMessageIds` },
          ],
          notes: [...(secondFailed > 0 ? [`${secondFailed} second sends failed outright`] : []), ...settled.errors],
        };
      } finally {
        closePairs(pairs);
      }
    }),
};
