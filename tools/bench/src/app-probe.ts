import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Preloaded (`node -r`) into the api and worker that --start runs, driven over the IPC
 * channel: `profile-start` / `profile-stop` (V8 CPU profile written to `<dir>/<name>-<n>.cpuprofile`)
 * and `memory` (a full GC, then process.memoryUsage(), so RSS readings are not GC noise).
 * Not `--cpu-prof` (Nest re-raises SIGTERM after its hooks, and a process killed by a signal
 * writes no profile) and not signals (Nest's shutdown hooks listen to SIGUSR2 too). Plain
 * CommonJS: the built apps run without a TS loader. The apps' own code is untouched.
 */
const PRELOAD_SOURCE = `'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
if (process.send) {
  const dir = process.env.BENCH_PROBE_DIR;
  const name = process.env.BENCH_PROBE_NAME || String(process.pid);
  let session;
  let index = 0;
  process.on('message', (message) => {
    if (!message || typeof message.benchProbe !== 'string') return;
    const reply = (body) => process.send(Object.assign({ benchProbeReply: message.id }, body));
    if (message.benchProbe === 'profile-start') {
      if (!session) {
        session = new inspector.Session();
        session.connect();
      }
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start', () => reply({}))));
    } else if (message.benchProbe === 'profile-stop') {
      if (!session) return reply({ error: 'not profiling' });
      session.post('Profiler.stop', (error, result) => {
        if (error) return reply({ error: String(error) });
        index += 1;
        const file = path.join(dir, name + '-' + index + '.cpuprofile');
        fs.writeFileSync(file, JSON.stringify(result.profile));
        reply({ file });
      });
    } else if (message.benchProbe === 'memory') {
      const collected = typeof global.gc === 'function';
      if (collected) global.gc();
      const m = process.memoryUsage();
      reply({ memory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external }, collected });
    }
  });
  // The channel must not keep the app alive at shutdown.
  process.channel.unref();
}
`;

export type ProbeCommand = 'profile-start' | 'profile-stop' | 'memory';

export interface ProbeReply {
  benchProbeReply: number;
  file?: string;
  error?: string;
  memory?: { rss: number; heapUsed: number; external: number };
  /** Whether a full GC ran first (the app was started with --expose-gc). */
  collected?: boolean;
}

export function isProbeReply(message: unknown): message is ProbeReply {
  return typeof message === 'object' && message !== null && 'benchProbeReply' in message;
}

/** Writes the preload into `dir`; returns the node flags that load it. */
export function probeExecArgv(dir: string): string[] {
  const file = path.join(dir, 'app-probe.preload.cjs');
  writeFileSync(file, PRELOAD_SOURCE);
  return ['--expose-gc', '-r', file];
}
