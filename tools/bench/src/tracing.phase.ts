import { startOtlpPeer } from '@mq/system-testing';
import { BenchStack } from './bench-stack.runner';
import { directOptionsFrom, type BenchOptions } from './bench.cli';
import { measureDirectMessages } from './direct-messages.phase';
import type { DirectResult } from './direct-messages.types';
import type { ProgressBar } from './progress.bar';
import { SqlUserSource } from './users.seeder';

/** `--tracing`: the direct runs again with api and worker exporting every span (always_on) over OTLP/HTTP JSON. */
export interface TracingResult {
  direct: DirectResult;
  /** Export requests the receiver answered (it keeps no spans). */
  exportRequests: number;
}

export async function measureWithTracing(options: BenchOptions, cores: number, progress: ProgressBar): Promise<TracingResult> {
  progress.log('bench: starting api + worker with tracing on, exporting to a local receiver that discards the spans');
  const receiver = await startOtlpPeer({ keep: false });
  try {
    const stack = await BenchStack.start({
      redis: options.redis,
      logLevel: options.logLevel,
      profile: false,
      batchLingerMs: options.batchLingerMs,
      pgbouncer: options.pgbouncer,
      // Every message traced: the worst case (a sampler would cut it).
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_on' },
    });
    try {
      const direct = await measureDirectMessages(
        new SqlUserSource(stack.database.directUrl, stack.jwtSecret, stack.api.url),
        directOptionsFrom(options, cores, {
          cpuSubjects: { api: stack.api.pid, worker: stack.worker.pid, databaseUrl: stack.database.directUrl, poolerPid: stack.database.poolerPid },
          redis: options.redis,
          databaseUrl: stack.database.directUrl,
        }),
        progress,
      );
      if (receiver.requests === 0) throw new Error('tracing on, but no spans reached the receiver');
      return { direct, exportRequests: receiver.requests };
    } finally {
      await stack.stop();
    }
  } finally {
    await receiver.close();
  }
}
