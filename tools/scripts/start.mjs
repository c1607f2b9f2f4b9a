#!/usr/bin/env node
// `npm start`: from a fresh clone to api (3333), worker and admin console (3000) running,
// with prefixed logs until Ctrl-C, and once all three answer, one block saying where to go
// and as whom. See README "Two commands".
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { canConnect, postgresTarget, redisTarget, root, waitFor } from './lib.mjs';

const COLORS = { api: 36, worker: 35, admin: 33, start: 32 };
const say = (message) => process.stdout.write(`\x1b[${COLORS.start}mstart  |\x1b[0m ${message}\n`);
const fail = (message) => {
  process.stderr.write(`\x1b[31mstart  | ${message}\x1b[0m\n`);
  process.exit(1);
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, ...options });
  if (result.status !== 0) fail(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
}

function dockerEngineAvailable() {
  return spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
}

async function ensureService(name, target, composeService) {
  if (await canConnect(target.host, target.port)) return say(`${name} is reachable at ${target.host}:${target.port}`);
  if (dockerEngineAvailable()) {
    say(`${name} is not reachable: starting it with docker compose`);
    run('docker', ['compose', 'up', '-d', composeService]);
    if (await waitFor(() => canConnect(target.host, target.port), 60_000)) return say(`${name} is up`);
  }
  fail(
    `${name} is not reachable at ${target.host}:${target.port}, and no Docker engine is available to start it.\n` +
      `  Start ${name} yourself, e.g.\n` +
      (composeService === 'redis'
        ? '    redis-server --daemonize yes --bind 127.0.0.1 --port 6379\n'
        : '    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n') +
      `  or point ${composeService === 'redis' ? 'REDIS_HOST/REDIS_PORT' : 'DATABASE_URL'} at one (see .env.example).`,
  );
}

/** The demo school's people and their one password (apps/api/src/app/demo reads the same file to seed them). */
const DEMO_ROSTER = path.join(root, 'apps/api/src/app/demo/demo-school.roster.json');

/** api.config.ts's rule: DEMO_DATA defaults to true when NODE_ENV is development (or unset). */
function demoDataOn() {
  const flag = process.env.DEMO_DATA ?? ((process.env.NODE_ENV || 'development') === 'development' ? 'true' : 'false');
  return flag === 'true' || flag === '1';
}

async function answers(url, ok = (status) => status === 200) {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2_000) });
    return ok(response.status);
  } catch {
    return false;
  }
}

/** Waits until the api and the worker say healthy and the console serves its sign-in page. */
async function everythingAnswers(urls, stopped) {
  let warned = false;
  const started = Date.now();
  while (!stopped()) {
    const [api, worker, admin] = await Promise.all([
      answers(urls.apiHealth),
      urls.workerHealth ? answers(urls.workerHealth) : true,
      answers(urls.consoleLogin, (s) => s < 500),
    ]);
    if (api && worker && admin) return true;
    if (!warned && Date.now() - started > 120_000) {
      warned = true;
      say(`still waiting for ${[!api && 'the api', !worker && 'the worker', !admin && 'the console'].filter(Boolean).join(', ')} (the lines above say why)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * The demo logins, when DEMO_DATA is on. The api seeds only a database with no users but the
 * admin, so one sign-in as the demo office checks they work here before they are printed.
 */
async function demoSchool(apiUrl) {
  if (!demoDataOn() || !existsSync(DEMO_ROSTER)) return undefined;
  const roster = JSON.parse(readFileSync(DEMO_ROSTER, 'utf8'));
  const office = roster.users.find((user) => user.kind === 'console' && user.role === 'admin');
  const signIn = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: office?.email, password: roster.password }),
  }).catch(() => undefined);
  return { roster, loaded: signIn?.ok === true };
}

function framed(lines) {
  const width = Math.max(...lines.map((line) => line.length));
  return ['┌' + '─'.repeat(width + 2) + '┐', ...lines.map((line) => `│ ${line.padEnd(width)} │`), '└' + '─'.repeat(width + 2) + '┘'];
}

function readyBlock(ports, demo) {
  const consoleUrl = `http://localhost:${ports.admin}`;
  const lines = [
    `Ready. Open the console: ${consoleUrl}`,
    '',
    `  Console     ${consoleUrl}  (sign in; the dashboard comes first)`,
    `  Chat        ${consoleUrl}/chat  (a user's view, with its own sign-in)`,
    `  Bull Board  ${consoleUrl}/admin/queues  (once signed in to the console)`,
    `  API         http://localhost:${ports.api}  ·  worker ${ports.worker === '0' ? 'on a free port (WORKER_PORT=0)' : `http://localhost:${ports.worker}/health`}`,
  ];
  if (demo?.loaded) {
    const people = demo.roster.users.filter((user) => user.kind !== 'leaver');
    const width = Math.max(...people.map((user) => user.email.length));
    lines.push('', `Demo school (DEMO_DATA), every password: ${demo.roster.password}`);
    for (const user of people) {
      const where = user.kind === 'console' ? (user.role === 'admin' ? 'console (start here)' : 'console, read-only') : '/chat';
      lines.push(`  ${user.email.padEnd(width)}  ${where.padEnd(20)}  ${user.displayName}`);
    }
  } else if (demo) {
    lines.push(
      '',
      'DEMO_DATA is on, but the demo office cannot sign in: this database had users before the demo',
      'could be loaded (or its password was changed). Point DATABASE_URL at a new database for the demo.',
    );
  }
  if (process.env.ADMIN_EMAIL) lines.push('', `Bootstrap admin: ${process.env.ADMIN_EMAIL} (its password is ADMIN_PASSWORD in .env)`);
  lines.push('', 'Ctrl-C stops all.');
  return framed(lines);
}

function prefixed(name, child) {
  const label = `\x1b[${COLORS[name]}m${name.padEnd(6)}|\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(label + line + '\n');
    });
  }
}

async function main() {
  if (!existsSync(path.join(root, '.env')) && existsSync(path.join(root, '.env.example'))) {
    copyFileSync(path.join(root, '.env.example'), path.join(root, '.env'));
    say('created .env from .env.example (edit it to change ports, credentials, keys)');
  }
  if (!existsSync(path.join(root, 'node_modules', '.bin', 'nx'))) {
    say('installing dependencies (npm install)…');
    run('npm', ['install', '--no-audit', '--no-fund']);
  }
  // Imported once installed; values already in the environment win over the file's.
  const dotenv = await import('dotenv');
  dotenv.config({ path: path.join(root, '.env'), quiet: true });
  process.env.NX_DAEMON ??= 'false';
  process.env.NEXT_TELEMETRY_DISABLED = '1';

  await ensureService('Redis', redisTarget(), 'redis');
  await ensureService('Postgres', postgresTarget(), 'postgres');

  say('building api, worker and admin…');
  run('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'worker', 'admin', '--output-style=stream']);

  say('creating the database if missing and running migrations…');
  run(process.execPath, ['dist/apps/api/main.js', 'migrate']);

  const processes = {
    api: ['node', ['dist/apps/api/main.js']],
    worker: ['node', ['dist/apps/worker/main.js']],
    admin: [
      process.execPath,
      [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '--port', process.env.ADMIN_PORT || '3000'],
      { cwd: path.join(root, 'apps/admin'), env: { ...process.env, NODE_ENV: 'production' } },
    ],
  };
  const children = new Map();
  let stopping = false;
  const stopAll = (code) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const child of children.values()) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 30_000).unref();
  };
  for (const [name, [command, args, options]] of Object.entries(processes)) {
    // next start serves a production build whatever NODE_ENV the apps run with.
    const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    children.set(name, child);
    prefixed(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping) {
        process.stderr.write(`\x1b[31mstart  | ${name} exited (${signal ?? code}); stopping the others\x1b[0m\n`);
        stopAll(code || 1);
      } else if (children.size === 0) process.exit(0);
    });
  }
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  const ports = { api: process.env.PORT || '3333', worker: process.env.WORKER_PORT || '3334', admin: process.env.ADMIN_PORT || '3000' };
  say('starting api, worker and console; where to go follows once all three answer (Ctrl-C stops all)');
  const ready = await everythingAnswers(
    {
      apiHealth: `http://127.0.0.1:${ports.api}/health`,
      // WORKER_PORT=0 takes any free port: nothing to ask then.
      workerHealth: ports.worker === '0' ? undefined : `http://127.0.0.1:${ports.worker}/health`,
      consoleLogin: `http://127.0.0.1:${ports.admin}/login`,
    },
    () => stopping,
  );
  if (!ready) return;
  const demo = await demoSchool(`http://127.0.0.1:${ports.api}`);
  if (!stopping) for (const line of readyBlock(ports, demo)) say(line);
}

main().catch((error) => fail(error.stack || String(error)));
