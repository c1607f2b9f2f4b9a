import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { BullConnectionFactory } from '@mq/queue';
import { AuditLogRepository } from '@mq/db';
import { API_CONFIG, ApiConfig, LoginThrottleConfig } from '../api.config';

/** 429 with the seconds until the lockout ends (the error filter sets Retry-After from it). */
export class LoginLockedError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, message: `Too many failed sign-ins: try again in ${retryAfterSeconds} s`, error: 'Too Many Requests' },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** Who tried: the account (by email) when there is one, and the client's address. */
export interface LoginAttempt {
  email?: string;
  ip: string;
  /** The account's id when the email names one: the lockout is audited against it. */
  userId?: string;
}

/** Failures are counted over a day: a lockout that ends leaves the count, so the next failure locks for twice as long. */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

/** Redis keys name neither the email nor the address. */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

type Scope = 'account' | 'ip';

/**
 * Brute-force protection for sign-in (REST login and the socket handshake), counted in Redis so
 * every api instance shares it: after `failuresPerAccount` failed sign-ins for one account, or
 * `failuresPerIp` from one address, every attempt is refused with 429 for `lockoutSeconds`,
 * doubling with each further failure up to `maxLockoutSeconds` — a right password included,
 * until the lockout ends. A success clears the account's count. Lockouts are audited. If Redis
 * is unreachable, sign-in is not throttled (logged): locking everyone out would be worse.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);
  private readonly settings: LoginThrottleConfig;
  private readonly failures: Record<Scope, RateLimiterRedis>;
  private readonly locks: RateLimiterRedis;

  constructor(
    connections: BullConnectionFactory,
    private readonly audit: AuditLogRepository,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.settings = config.auth.throttle;
    const storeClient = connections.commandConnection();
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient, keyPrefix: `${config.queue.prefix}:login:${name}`, points, duration, rejectIfRedisNotReady: true });
    this.failures = {
      account: limiter('failures:account', this.settings.failuresPerAccount, FAILURE_MEMORY_SECONDS),
      ip: limiter('failures:ip', this.settings.failuresPerIp, FAILURE_MEMORY_SECONDS),
    };
    this.locks = limiter('lock', 1, 1);
  }

  /** Refuses (429) while the account or the address is locked out. */
  async assertAllowed(attempt: LoginAttempt): Promise<void> {
    const keys = this.keysOf(attempt);
    const states = await this.guarded(() => Promise.all(keys.map(({ scope, id }) => this.locks.get(`${scope}:${id}`))), []);
    const waitMs = Math.max(0, ...states.map((state) => (state && state.consumedPoints > 1 ? state.msBeforeNext : 0)));
    if (waitMs > 0) throw new LoginLockedError(Math.ceil(waitMs / 1000));
  }

  /** Counts a failed attempt; the one that reaches a limit starts (or doubles) the lockout. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    for (const { scope, id } of this.keysOf(attempt)) {
      const failures = await this.guarded(() => this.count(scope, id), 0);
      const limit = scope === 'account' ? this.settings.failuresPerAccount : this.settings.failuresPerIp;
      if (failures < limit) continue;
      const seconds = Math.min(this.settings.maxLockoutSeconds, this.settings.lockoutSeconds * 2 ** Math.min(failures - limit, 30));
      await this.guarded(() => this.locks.block(`${scope}:${id}`, seconds), undefined);
      this.logger.warn({ scope, failures, seconds }, 'sign-in locked out');
      await this.audit
        .record({ actorId: attempt.userId ?? null, action: 'auth.lockout', target: scope, detail: { failures, seconds } })
        .catch((error: unknown) => this.logger.error({ err: String(error) }, 'could not audit a lockout'));
    }
  }

  /** A successful sign-in clears the account's failures (the address keeps its count). */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const account = this.keysOf(attempt).find((k) => k.scope === 'account');
    if (account) await this.guarded(() => this.failures.account.delete(account.id), false);
  }

  private keysOf(attempt: LoginAttempt): { scope: Scope; id: string }[] {
    const keys: { scope: Scope; id: string }[] = [{ scope: 'ip', id: digest(attempt.ip) }];
    if (attempt.email) keys.push({ scope: 'account', id: digest(attempt.email.trim().toLowerCase()) });
    return keys;
  }

  /** The scope's failures so far, this one included (the limiter rejects past its points, with the count). */
  private async count(scope: Scope, id: string): Promise<number> {
    const outcome = await this.failures[scope].consume(id).catch((result: unknown) => {
      if (result instanceof RateLimiterRes) return result;
      throw result;
    });
    return outcome.consumedPoints;
  }

  private async guarded<T>(run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'login throttle unavailable');
      return fallback;
    }
  }
}
