import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Drill, DrillContext, DrillOutcome } from './drill.types';
import { apiKillDrill } from './drills/api-kill.drill';
import { duplicateSendsDrill } from './drills/duplicate-sends.drill';
import { poisonMessageDrill } from './drills/poison-message.drill';
import { postgresRestartDrill } from './drills/postgres-restart.drill';
import { redisFailoverDrill } from './drills/redis-failover.drill';
import { redisPartitionDrill } from './drills/redis-partition.drill';
import { redisFlushDrill, redisRestartDrill } from './drills/redis-restart.drill';
import { workerKillDrill } from './drills/worker-kill.drill';

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

// The longest (poison: its retries back off for most of a minute) first, so that with --parallel it overlaps the others.
const DRILLS: readonly Drill[] = [
  poisonMessageDrill,
  workerKillDrill,
  redisRestartDrill,
  redisFlushDrill,
  redisFailoverDrill,
  redisPartitionDrill,
  postgresRestartDrill,
  apiKillDrill,
  duplicateSendsDrill,
];

const USAGE = `npm run drill -- [options]

Fault drills against the built api and worker (real processes, own database and queue prefix
each; Redis and PostgreSQL drills get a throwaway server of their own). Each prints PASS/FAIL
with its counts; the exit code is 1 if any failed.

  --only LIST     drills to run, comma list (default all): ${DRILLS.map((d) => d.name).join(', ')}
  --list          list the drills and exit
  --rate N        offered load, messages/s over all senders (default 50)
  --duration S    seconds of load per drill (default 10); the fault strikes at a third of it
  --parallel N    drills at once (default 1). Each has its own stack and servers; with N > 1 a
                  drill's lines are printed together when it ends
  --no-build      use dist/ as it is (default: nx build api worker first, cached)
`;

interface Row {
  drill: Drill;
  pass: boolean;
  seconds: number;
  outcome?: DrillOutcome;
  error?: string;
}

function line(row: Row): string {
  const head = `${row.pass ? 'PASS' : 'FAIL'}  ${row.drill.name.padEnd(17)}`;
  if (!row.outcome) return `${head} error: ${row.error ?? 'unknown'} (${row.seconds} s)`;
  const c = row.outcome.counts;
  const counts = c
    ? `accepted ${c.accepted}/${c.sent} · delivered ${c.delivered}/${c.deliveryRows} · live ${c.receivedLive} · caught up ${c.caughtUp} · ` +
      `duplicated ${c.duplicated} · lost ${c.lost} · redelivered ${c.redelivered}` +
      (c.unconfirmed > 0 ? ` · unconfirmed ${c.unconfirmed}` : '') +
      (c.retries > 0 ? ` · retried ${c.retries}` : '')
    : '';
  const timing = [
    row.outcome.recoveredMs !== undefined ? `recovered in ${(row.outcome.recoveredMs / 1000).toFixed(1)} s` : '',
    row.outcome.drainedMs !== undefined ? `drained in ${(row.outcome.drainedMs / 1000).toFixed(1)} s` : '',
    row.outcome.recordedMs !== undefined ? `all recorded delivered in ${(row.outcome.recordedMs / 1000).toFixed(1)} s` : '',
  ].filter(Boolean);
  return `${head} ${counts}${timing.length > 0 ? ` · ${timing.join(' · ')}` : ''} (${row.seconds} s)`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      list: { type: 'boolean' },
      only: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      parallel: { type: 'string' },
      'no-build': { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.list) {
    for (const drill of DRILLS) process.stdout.write(`${drill.name.padEnd(17)} ${drill.title}\n`);
    return 0;
  }
  const names = values.only
    ?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names?.filter((n) => !DRILLS.some((d) => d.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown drill(s): ${unknown.join(', ')} (known: ${DRILLS.map((d) => d.name).join(', ')})`);
  const selected = names ? DRILLS.filter((d) => names.includes(d.name)) : DRILLS;
  const rate = Number(values.rate ?? 50);
  const durationMs = Number(values.duration ?? 10) * 1000;
  if (!(rate > 0) || !(durationMs > 0)) throw new Error('--rate and --duration must be positive numbers');
  const parallel = Number(values.parallel ?? 1);
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error('--parallel must be a whole number, 1 or more');

  if (!values['no-build']) {
    process.stderr.write('drill: building api and worker (nx cache makes this quick when nothing changed)\n');
    const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'worker', '--output-style=stream'], {
      cwd: WORKSPACE_ROOT,
      stdio: ['ignore', 2, 2],
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
    });
    if (build.status !== 0) throw new Error('nx build of api and worker failed (or run with --no-build)');
  }
  for (const script of ['dist/apps/api/main.js', 'dist/apps/worker/main.js']) {
    if (!existsSync(path.join(WORKSPACE_ROOT, script))) throw new Error(`${script} is missing: build first (npx nx run-many -t build -p api worker)`);
  }

  const rows = await runAll(selected, parallel, { rate, durationMs, faultAfterMs: Math.round(durationMs / 3) });
  const failed = rows.filter((r) => !r.pass);
  process.stdout.write(`\n${rows.map(line).join('\n')}\n\n${rows.length - failed.length}/${rows.length} drills passed\n`);
  return failed.length > 0 ? 1 : 0;
}

/**
 * Runs the drills, `parallel` at a time, in list order. One at a time, a drill's lines stream as
 * they come; several at once, each drill's lines are written together when it ends (a line
 * says when each starts), so the log reads drill by drill.
 */
async function runAll(drills: readonly Drill[], parallel: number, load: Omit<DrillContext, 'log'>): Promise<Row[]> {
  const rows: Row[] = new Array<Row>(drills.length);
  let next = 0;
  const runOne = async (index: number): Promise<void> => {
    const drill = drills[index] as Drill;
    const header = `\n== ${drill.name}: ${drill.title}\n`;
    const held: string[] = [];
    const write = (text: string): void => {
      if (parallel === 1) process.stdout.write(text);
      else held.push(text);
    };
    if (parallel === 1) process.stdout.write(header);
    else process.stdout.write(`drill: ${drill.name} started\n`);
    const started = Date.now();
    const log = (message: string): void => write(`   ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${message}\n`);
    let row: Row;
    try {
      const outcome = await drill.run({ ...load, log });
      for (const check of outcome.checks) log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
      for (const note of outcome.notes) log(`note: ${note}`);
      row = { drill, outcome, pass: outcome.checks.every((c) => c.ok), seconds: Math.round((Date.now() - started) / 1000) };
    } catch (error) {
      row = { drill, pass: false, error: error instanceof Error ? error.message : String(error), seconds: Math.round((Date.now() - started) / 1000) };
    }
    rows[index] = row;
    write(`${line(row)}\n`);
    if (parallel > 1) process.stdout.write(header + held.join(''));
  };
  await Promise.all(
    Array.from({ length: Math.min(parallel, drills.length) }, async () => {
      while (next < drills.length) await runOne(next++);
    }),
  );
  return rows;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`drill: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
