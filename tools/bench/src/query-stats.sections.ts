import type { DirectRun } from './direct-messages.types';
import { PG_STAT_STATEMENTS_HOW_TO, type PgStatements, type RedisCommandStats } from './query-stats.probe';
import type { BenchReport } from './report.writer';

const fmt = (value: number): string => value.toLocaleString('en-US');

function runTitle(run: DirectRun): string {
  const over = run.transport === 'socket' ? 'over the socket' : 'over REST';
  return run.mode === 'fixed-rate' ? `${run.offeredPerSecond} msgs/s offered ${over}` : `full speed ${over}`;
}

function redisTable(stats: RedisCommandStats): string[] {
  return [
    `Redis: **${stats.callsPerMessage} commands** and **${stats.usecPerMessage} µs** of command time per delivered message (${fmt(stats.messages)} delivered); top ${stats.top.length} by time:`,
    '',
    '| command | calls / msg | µs / msg | µs / call |',
    '|---|---:|---:|---:|',
    ...stats.top.map((c) => `| ${c.command} | ${c.callsPerMessage} | ${c.usecPerMessage} | ${c.usecPerCall} |`),
    '',
  ];
}

function statementsTable(pg: PgStatements): string[] {
  if (!pg.available) {
    return [`Postgres statements: **pg_stat_statements is not available** (${pg.reason}). To enable it: ${PG_STAT_STATEMENTS_HOW_TO}.`, ''];
  }
  if (pg.top.length === 0) return ["Postgres (pg_stat_statements): no statement recorded in the run's database during the window.", ''];
  return [
    `Postgres (pg_stat_statements, the run's database only, reset when the window began): ${fmt(pg.calls)} statements, ` +
      `**${pg.totalMsPerMessage} ms of execution per delivered message**; top ${pg.top.length} by total time:`,
    '',
    '| statement | calls / msg | mean (ms) | total ms / msg | rows / call | blocks hit+read / call |',
    '|---|---:|---:|---:|---:|---:|',
    ...pg.top.map(
      (s) =>
        `| \`${s.query.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${s.callsPerMessage} | ${s.meanMs} | ${s.totalMsPerMessage} | ${s.rowsPerCall} | ${s.blocksPerCall} |`,
    ),
    '',
  ];
}

/** `--profile`: what each delivered message costs Redis and Postgres, command by command and statement by statement. */
export function queryStatsSection(report: BenchReport): string[] {
  const runs = (report.direct?.runs ?? []).filter((run) => run.queryStats);
  if (runs.length === 0) return [];
  return [
    '## Redis commands and Postgres statements per message (--profile)',
    '',
    "Over each direct run's measured window (sending and drain): `INFO commandstats` before and after, divided by the messages delivered " +
      '(the counters are server-wide: anything else using this Redis meanwhile counts too); µs is Redis’s own time executing the command. ' +
      "For the socket runs also `pg_stat_statements` of the run's database (the bench's own statistics reads left out).",
    '',
    ...runs.flatMap((run) => {
      const stats = run.queryStats ?? {};
      return [
        `#### ${runTitle(run)}`,
        '',
        ...(stats.redis ? redisTable(stats.redis) : ['Redis: `INFO commandstats` not readable.', '']),
        ...(stats.postgres ? statementsTable(stats.postgres) : []),
      ];
    }),
  ];
}
