import { TestStack } from '@mq/system-testing';
import { closePairs, createPairs, Pair, runLoad, settle, standardChecks } from '../drill.harness';
import { now, sleep } from '../drill.support';
import type { Drill } from '../drill.types';
import { startThrowawayPostgres } from '@mq/db/testing';
import { apiUrls, DRILL_ENV } from './drill.stack';

const OUTAGE_MS = 3_000;

export const postgresRestartDrill: Drill = {
  name: 'postgres-restart',
  title: 'PostgreSQL crashed mid-load (pg_ctl stop -m immediate), restarted 3 s later',
  async run(context) {
    const postgres = await startThrowawayPostgres();
    let stack: TestStack | undefined;
    let pairs: Pair[] = [];
    try {
      // The stack's database lives on the throwaway server, which this drill crashes.
      stack = await TestStack.start({ apis: 1, env: DRILL_ENV, databaseAdminUrl: postgres.adminUrl });
      pairs = await createPairs(stack, { pairs: 4, apis: apiUrls(stack) });
      const load = runLoad(pairs, { ratePerSecond: context.rate, durationMs: context.durationMs, label: 'pg' });
      await sleep(context.faultAfterMs);
      await postgres.stop('immediate');
      const faultAt = now();
      context.log('postgres stopped (immediate: a crash, recovery at the next start)');
      await sleep(OUTAGE_MS);
      await postgres.start();
      context.log(`postgres back after ${Math.round(now() - faultAt)} ms down`);
      await load;
      const settled = await settle(stack, pairs, faultAt, 40_000);
      const crashed = [...stack.apis, ...(stack.worker ? [stack.worker] : [])].filter((app) => !app.running).map((app) => app.name);
      return {
        ...settled,
        checks: [
          ...standardChecks(settled.counts),
          {
            name: 'processes survived',
            ok: crashed.length === 0,
            detail: crashed.length === 0 ? 'api and worker still running' : `exited: ${crashed.join(', ')}`,
          },
        ],
        notes: settled.errors,
      };
    } finally {
      closePairs(pairs);
      await stack?.stop().catch(() => undefined);
      await postgres.destroy();
    }
  },
};
