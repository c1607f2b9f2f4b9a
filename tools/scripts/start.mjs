#!/usr/bin/env node
// `npm start`: from a fresh clone to api (3333), worker and admin console (3000) running,
// with prefixed logs until Ctrl-C. See README "Run it".
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
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
  say(
    `api http://localhost:${process.env.PORT || 3333} · worker health http://localhost:${process.env.WORKER_PORT || 3334}/health · ` +
      `console http://localhost:${process.env.ADMIN_PORT || 3000} (Ctrl-C stops all)`,
  );
}

main().catch((error) => fail(error.stack || String(error)));
