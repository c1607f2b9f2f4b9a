import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { BullConnectionFactory } from '@mq/queue';
import { API_CONFIG, ApiConfig } from '../api.config';

/** 429 with the seconds until the sender may send again. */
export class TooManyRequestsError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, message: `Too many messages: try again in ${retryAfterSeconds} s`, error: 'Too Many Requests' },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Per-user send limit, counted in Redis so every api instance shares it (fixed one-minute
 * windows). If Redis is unreachable the limit is not enforced: sends still work through the
 * outbox, and refusing every message during an outage would be worse.
 */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);

  constructor(
    private readonly connections: BullConnectionFactory,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async check(userId: string): Promise<void> {
    const windowMs = 60_000;
    const window = Math.floor(Date.now() / windowMs);
    const key = `${this.config.queue.prefix}:ratelimit:send:${userId}:${window}`;
    let count: number;
    try {
      const results = await this.connections.commandConnection().multi().incr(key).pexpire(key, windowMs + 1_000).exec();
      count = Number(results?.[0]?.[1] ?? 0);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'rate limiter unavailable');
      return;
    }
    if (count > this.config.sendRateLimitPerMinute) {
      throw new TooManyRequestsError(Math.max(1, Math.ceil(((window + 1) * windowMs - Date.now()) / 1000)));
    }
  }
}
