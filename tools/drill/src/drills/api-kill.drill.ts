import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { apiUrls, withStack } from './drill.stack';

export const apiKillDrill: Drill = {
  name: 'api-kill',
  title: 'api instance kill -9 with the recipients’ sockets on it; they move to the other instance and sync',
  run: (context) =>
    withStack({ apis: 2 }, async (stack) => {
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack), failover: true, recipientApi: 0 });
        // Sends alternate between the instances: those in flight to the killed one are retried on the other.
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: 'ak', apiFor: (i) => i % 2 });
        await sleep(context.faultAfterMs);
        await stack.api(0).kill('SIGKILL');
        const faultAt = now();
        context.log('api #0 killed with SIGKILL (all recipients were connected to it)');
        await load;
        const settled = await settle(stack, pairs, faultAt);
        const moved = pairs.filter((p) => p.recipient.apiUrl === stack.api(1).url).length;
        return {
          ...settled,
          checks: [
            ...standardChecks(settled.counts),
            { name: 'recipients failed over', ok: moved === pairs.length, detail: `${moved}/${pairs.length} now on api #1` },
          ],
          notes: [
            `${settled.counts.retries} sends retried on the other instance after the kill`,
            ...pairs.flatMap((p) => p.recipient.errors.slice(0, 1)),
            ...settled.errors,
          ],
        };
      } finally {
        closePairs(pairs);
      }
    }),
};
