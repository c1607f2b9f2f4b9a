import { Injectable, Logger, Optional } from '@nestjs/common';
import { DatabaseProbe } from '@mq/db';
import type { HealthCheck, HealthResponse } from '@mq/messaging-contracts';
import { BullConnectionFactory } from '@mq/queue';

const CHECK_TIMEOUT_MS = 1_500;

/** Postgres and Redis reachability for `GET /health` on both apps: 503 when either is down. */
@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(
    private readonly database: DatabaseProbe,
    @Optional() private readonly connections?: BullConnectionFactory,
  ) {}

  async check(): Promise<HealthResponse> {
    const [postgres, redis] = await Promise.all([
      this.run('postgres', () => this.database.ping()),
      this.run('redis', async () => {
        if (!this.connections) throw new Error('no Redis connection configured');
        await this.connections.commandConnection().ping();
      }),
    ]);
    return { status: postgres.status === 'up' && redis.status === 'up' ? 'ok' : 'error', checks: { postgres, redis } };
  }

  private async run(name: string, probe: () => Promise<unknown>): Promise<HealthCheck> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
        }),
      ]);
      return { status: 'up', latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ check: name, err: message }, 'health check failed');
      return {
        status: 'down',
        latencyMs: Math.round(performance.now() - started),
        error: message === 'timeout' ? 'timeout' : 'unreachable',
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
