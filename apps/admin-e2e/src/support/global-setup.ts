import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { READY_PREFIX, STACK_ENV, type StackInfo } from './stack-protocol';

const E2E_ROOT = path.resolve(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 120_000;

function waitForReady(host: ChildProcess): Promise<StackInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the e2e stack did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    const lines = createInterface({ input: host.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.startsWith(READY_PREFIX)) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(READY_PREFIX.length)) as StackInfo);
    });
    host.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the e2e stack host exited (${code ?? signal}) before it was ready; its output is above`));
    });
  });
}

/**
 * Starts the whole system once for the run (src/support/stack-host.ts, in its own Node
 * process) and hands its addresses to the test workers through the environment. The
 * returned function is the teardown: closing the host's stdin stops everything it started.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const host = spawn(process.execPath, ['-r', '@swc-node/register', path.join(E2E_ROOT, 'src', 'support', 'stack-host.ts')], {
    cwd: E2E_ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(E2E_ROOT, 'tsconfig.stack.json') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const info = await waitForReady(host);
  process.env[STACK_ENV] = JSON.stringify(info);

  return async () => {
    if (host.exitCode !== null || host.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
    host.stdin?.end();
    const timer = setTimeout(() => host.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
}
