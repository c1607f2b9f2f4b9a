import type { BenchOptions } from './bench.cli';
import { REST_CONNECTIONS } from './pooled.fetch';

/** The report's notes on how this run measured: only about the phases it ran (a soak-only report needs no direct-run notes). */
export function runNotes(options: BenchOptions): string[] {
  const notes: string[] = [];
  notes.push(
    options.start
      ? 'Users are rows inserted with SQL and their access tokens are minted with the run’s own JWT_SECRET (what POST /auth/login signs); the api still verifies every token and user row.'
      : 'Users were created through POST /users and signed in through POST /auth/login (two scrypt runs each on the api); broadcast recipients the same way.',
  );
  if (options.phases.has('broadcast'))
    notes.push('Broadcasts use allUsers: the batch total is every active user but the admin, the run’s senders and listeners included.');
  if (options.phases.has('direct')) {
    notes.push(
      `The api gathers sends and receipts into one commit for up to ${options.batchLingerMs ?? 8} ms while busy (BATCH_LINGER_MS${options.batchLingerMs === undefined ? ', its default' : ''}); an idle api never waits.`,
      `Senders send over ${options.transport === 'socket' ? 'their socket (`message:send`, acknowledged once stored), as a connected app does' : 'REST (`POST /messages`)'}; one more full-speed run sends over ${options.transport === 'socket' ? 'REST' : 'the socket'} for comparison.`,
      `Before the runs, ${options.quick ? 3 : 5} s of unmeasured sending warm the processes and fill the tables${options.start ? '; then the run’s own database is analyzed, as autovacuum does within a minute of a deployment’s first traffic (prepared statements keep the plan a ten-row table gave until then)' : ''}.`,
      'The fixed-rate run is open loop: a send leaves on schedule whatever earlier answers do, so latency includes any queueing in the api.',
      `REST senders share ${REST_CONNECTIONS} keep-alive connections, as an app's HTTP client or a load balancer keeps a pool; sends beyond them wait in the client, and that wait counts in their latency.`,
      `The full-speed runs keep ${options.concurrency} sends in flight and pause while more than 2,000 accepted messages are not yet delivered, so they measure the sustained rate instead of how fast a backlog grows.`,
    );
  }
  if (options.phases.has('soak') && options.start) {
    notes.push('Soak: each RSS sample forces a full GC in api and worker first (the probe preload), every 5 s; the “read (ms)” column is what that took.');
  }
  return notes;
}
