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
    // createTestDatabase reads this when the stack starts: the stack's database lives on the throwaway cluster.
    const previous = process.env['TEST_DATABASE_ADMIN_URL'];
    process.env['TEST_DATABASE_ADMIN_URL'] = postgres.adminUrl;
    let stack: TestStack | undefined;
    let pairs: Pair[] = [];
    try {
      stack = await TestStack.start({ apis: 1, env: DRILL_ENV });
      if (previous === undefined) delete process.env['TEST_DATABASE_ADMIN_URL'];
      else process.env['TEST_DATABASE_ADMIN_URL'] = previous;
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
      if (process.env['TEST_DATABASE_ADMIN_URL'] === postgres.adminUrl) {
        if (previous === undefined) delete process.env['TEST_DATABASE_ADMIN_URL'];
        else process.env['TEST_DATABASE_ADMIN_URL'] = previous;
      }
      closePairs(pairs);
      await stack?.stop().catch(() => undefined);
      await postgres.destroy();
    }
  },
};
