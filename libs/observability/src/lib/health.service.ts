import { Injectable, Logger, Optional, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import { DatabaseProbe } from '@mq/db';
import type { HealthCheck, HealthResponse } from '@mq/messaging-contracts';
import { BullConnectionFactory } from '@mq/queue';

const CHECK_TIMEOUT_MS = 1_500;

type CheckName = keyof HealthResponse['checks'];
type CheckDetail = HealthIndicatorResult[string];

class CheckTimeoutError extends Error {}

/**
 * Postgres and Redis reachability for `GET /health` on both apps: 503 when either is down.
 * Terminus runs the checks; the answer keeps our own frozen `HealthResponse` shape.
 */
@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(
    private readonly healthChecks: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseProbe,
    @Optional() private readonly connections?: BullConnectionFactory,
  ) {}

  async check(): Promise<HealthResponse> {
    const details = await this.runChecks();
    const postgres = toHealthCheck(details['postgres']);
    const redis = toHealthCheck(details['redis']);
    // From the checks alone, not terminus's status: its 'shutting_down' must not turn a healthy process into a 503.
    return { status: postgres.status === 'up' && redis.status === 'up' ? 'ok' : 'error', checks: { postgres, redis } };
  }

  private async runChecks(): Promise<HealthIndicatorResult> {
    try {
      const result = await this.healthChecks.check([
        () => this.probe('postgres', () => this.database.ping()),
        () => this.probe('redis', () => this.pingRedis()),
      ]);
      return result.details;
    } catch (error) {
      // Terminus reports a failing check (or a shutdown under way) by throwing a 503 that carries the whole result.
      if (error instanceof ServiceUnavailableException) return (error.getResponse() as HealthCheckResult).details;
      // The probes never reject, so this is terminus itself failing: both read as down, never a 500.
      this.logger.error({ err: error }, 'health checks did not run');
      return {};
    }
  }

  /** One check as a terminus indicator. It never rejects; the reason in full goes to the log, the response gets a short one. */
  private async probe(name: CheckName, ping: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(name);
    const started = performance.now();
    try {
      await withTimeout(ping(), CHECK_TIMEOUT_MS);
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      this.logger.warn({ check: name, err: error instanceof Error ? error.message : String(error) }, 'health check failed');
      return indicator.down({ latencyMs, error: error instanceof CheckTimeoutError ? 'timeout' : 'unreachable' });
    }
  }

  private async pingRedis(): Promise<void> {
    if (!this.connections) throw new Error('no Redis connection configured');
    await this.connections.commandConnection().ping();
  }
}

/** Terminus's detail for one check, narrowed to the contract: status, latency and the short reason, nothing else. */
function toHealthCheck(detail: CheckDetail | undefined): HealthCheck {
  const latencyMs = typeof detail?.['latencyMs'] === 'number' ? detail['latencyMs'] : 0;
  if (detail?.status === 'up') return { status: 'up', latencyMs };
  return { status: 'down', latencyMs, error: detail?.['error'] === 'timeout' ? 'timeout' : 'unreachable' };
}

/** Rejects with CheckTimeoutError once `ms` pass; a hung connection must not hold the probe. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeoutError(`no answer in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
