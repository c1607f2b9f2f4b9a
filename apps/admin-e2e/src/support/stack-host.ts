/*
 * Runs the whole system for the browser tests, as real processes: TestStack (its own
 * Postgres database and Redis queue prefix; the BUILT api and worker from dist/apps) and the
 * console's production build with `next start`, given the api's address at run time through
 * API_URL. Started by global-setup.ts in its own Node process (with @swc-node/register: the
 * harness pulls in TypeORM entities, whose legacy decorators Playwright's transform does not
 * compile). It prints one READY line with the StackInfo, then serves a small control endpoint
 * (stop / start the worker; a second, first-run system with the demo school) until its stdin
 * closes or it gets SIGTERM/SIGINT, when it stops everything it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { ADMIN, TestStack, freePort, sql } from '@mq/system-testing';
import { type FirstRunInfo, READY_PREFIX, type StackInfo } from './stack-protocol';

const ROOT = path.resolve(__dirname, '../../../..');
const ADMIN_APP = path.join(ROOT, 'apps', 'admin');
/** The demo school's people, as the api seeds them with DEMO_DATA (one file for the seeder, `npm start` and this). */
const DEMO_ROSTER = path.join(ROOT, 'apps', 'api', 'src', 'app', 'demo', 'demo-school.roster.json');

function log(message: string): void {
  process.stderr.write(`[e2e stack] ${message}\n`);
}

async function waitFor(url: string, what: string, child: ChildProcess, output: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${output.join('')}`);
    }
    const ok = await fetch(url, { redirect: 'manual' }).then(
      (response) => response.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms:\n${output.join('')}`);
}

/** `next start` in its own process group, so stopping it leaves no next-server behind. */
function startConsole(port: number, apiUrl: string): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawn(process.execPath, [require.resolve('next/dist/bin/next'), 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: ADMIN_APP,
    env: { ...process.env, API_URL: apiUrl, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const keep = (chunk: Buffer, always: boolean) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, output.length - 200);
    if (always || process.env['E2E_CONSOLE_LOG']) process.stderr.write(`[next] ${chunk.toString()}`);
  };
  child.stdout?.on('data', (chunk: Buffer) => keep(chunk, false));
  // Its errors (a request it failed to forward to the api, say) belong in the run's log.
  child.stderr?.on('data', (chunk: Buffer) => keep(chunk, true));
  return { child, output };
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A whole system: a TestStack (database, queue prefix, api, worker) and its console. */
interface RunningSystem {
  stack: TestStack;
  consoleUrl: string;
  stop(): Promise<void>;
}

async function startSystem(consolePort: number, env: Record<string, string>, label: string): Promise<RunningSystem> {
  const consoleOrigins = [`http://127.0.0.1:${consolePort}`, `http://localhost:${consolePort}`];
  const started = Date.now();
  const stack = await TestStack.start({
    apis: 1,
    worker: true,
    env: {
      // The browser's Origin on socket.io handshakes and Bull Board changes is the console's.
      CORS_ORIGINS: consoleOrigins.join(','),
      SECURE_COOKIES: 'false',
      // Queue samples every second, so the dashboard's history has points within a test.
      METRICS_SAMPLE_INTERVAL_MS: '1000',
      // A killed worker shows as lost within seconds (three missed beats).
      WORKER_HEARTBEAT_MS: '1000',
      NOTIFY_UNREAD_AFTER_MS: '600000',
      // The tests make their own data: no demo school unless asked for (the first-run system).
      DEMO_DATA: 'false',
      ...env,
    },
  });
  log(`${label}: api ${stack.api().url} and worker up in ${Date.now() - started} ms`);

  const next = startConsole(consolePort, stack.api().url);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopProcessGroup(next.child);
      await stack.stop().catch((error: unknown) => log(`${label} stack stop: ${String(error)}`));
    })());
  try {
    await waitFor(`${consoleOrigins[0]}/login`, 'next start', next.child, next.output);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`${label}: console ${consoleOrigins[0]} up in ${Date.now() - started} ms`);
  return { stack, consoleUrl: consoleOrigins[0] as string, stop };
}

/** What a first run looks like: an empty database, DEMO_DATA on, the demo logins from the roster the api seeds from. */
async function startFirstRun(): Promise<{ system: RunningSystem; info: FirstRunInfo }> {
  const system = await startSystem(await freePort(), { DEMO_DATA: 'true' }, 'first run');
  const roster = JSON.parse(readFileSync(DEMO_ROSTER, 'utf8')) as FirstRunInfo['demo'];
  const info: FirstRunInfo = {
    consoleUrl: system.consoleUrl,
    apiUrl: system.stack.api().url,
    databaseUrl: system.stack.database.url,
    demo: { password: roster.password, users: roster.users },
  };
  return { system, info };
}

async function main(): Promise<void> {
  const shared = await startSystem(Number(process.env['E2E_ADMIN_PORT']) || (await freePort()), {}, 'stack');
  const stack = shared.stack;
  let firstRun: Promise<{ system: RunningSystem; info: FirstRunInfo }> | undefined;
  const stopFirstRun = async (): Promise<void> => {
    const running = firstRun;
    firstRun = undefined;
    await running?.then(
      ({ system }) => system.stop(),
      () => undefined,
    );
  };
  const stopAll = async (): Promise<void> => {
    await stopFirstRun();
    await shared.stop();
  };

  const control = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const route = `${req.method} ${req.url}`;
    if (route === 'POST /first-run') {
      // A second system, from an empty database with the demo school (started once; the same answer after).
      firstRun ??= startFirstRun();
      firstRun.then(
        ({ info }) => reply(200, info),
        (error: unknown) => {
          firstRun = undefined;
          reply(500, { message: String(error) });
        },
      );
      return;
    }
    if (route === 'DELETE /first-run') {
      stopFirstRun().then(
        () => reply(200, { stopped: true }),
        (error: unknown) => reply(500, { message: String(error) }),
      );
      return;
    }
    if (route === 'POST /sql') {
      // A test's setup statement (Playwright's transform cannot load the data layer): run here, on the stack's database.
      readJson(req)
        .then(({ text, params }: { text: string; params?: unknown[] }) => sql(stack.database.url, text, params ?? []))
        .then(
          (rows) => reply(200, rows),
          (error: unknown) => reply(500, { message: String(error) }),
        );
      return;
    }
    const work =
      route === 'POST /worker/stop'
        ? stack.worker?.kill('SIGTERM')
        : route === 'POST /worker/kill'
          ? stack.worker?.kill('SIGKILL')
          : route === 'POST /worker/start'
            ? stack.worker?.running
              ? Promise.resolve()
              : stack.startWorker().then(() => undefined)
            : route === 'GET /worker'
              ? Promise.resolve()
              : undefined;
    if (!work) return reply(404, { message: `no ${route}` });
    work.then(
      () => reply(200, { running: stack.worker?.running ?? false }),
      (error: unknown) => reply(500, { message: String(error) }),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()));
  const address = control.address();
  const controlPort = typeof address === 'object' && address ? address.port : 0;

  const shutdown = () => {
    control.close();
    void stopAll().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // The test runner holds our stdin: when it goes away (even killed), so do we.
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();

  const info: StackInfo = {
    consoleUrl: shared.consoleUrl,
    apiUrl: stack.api().url,
    databaseUrl: stack.database.url,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    admin: { ...ADMIN },
  };
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

function readJson(req: IncomingMessage): Promise<{ text: string; params?: unknown[] }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string; params?: unknown[] });
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
