import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { apiUrls, withStack } from './drill.stack';

export const workerKillDrill: Drill = {
  name: 'worker-kill',
  title: 'worker kill -9 mid-load, a new worker started at once',
  run: (context) =>
    withStack({ apis: 1 }, async (stack) => {
      let pairs: Pair[] = [];
      try {
        pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
        const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: 'wk' });
        await sleep(context.faultAfterMs);
        await stack.worker?.kill('SIGKILL');
        // The fault counts from the moment the process is gone.
        const faultAt = now();
        context.log('worker killed with SIGKILL, starting a new one');
        await stack.startWorker();
        context.log(`new worker answering /health ${Math.round(now() - faultAt)} ms after the kill`);
        await load;
        const settled = await settle(stack, pairs, faultAt);
        return {
          ...settled,
          checks: standardChecks(settled.counts),
          notes: settled.errors,
        };
      } finally {
        closePairs(pairs);
      }
    }),
};
