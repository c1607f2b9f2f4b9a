import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { MicroBatcher } from '../batching/micro.batcher';
import { BullConnectionFactory, userKey } from '@mq/queue';
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

const WINDOW_MS = 60_000;

/** Adds ARGV[1] sends to the window's counter and gives a new counter its expiry: one command per user. */
const COUNT_SENDS = `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;
const COUNT_SENDS_COMMAND = 'mqCountSends';

interface CountingConnection {
  [COUNT_SENDS_COMMAND](key: string, sends: number, ttlMs: number): Promise<number>;
}

/**
 * Per-user send limit, counted in Redis so every api instance shares it (fixed one-minute
 * windows); the sends of the moment are counted in one round trip. If Redis is unreachable
 * the limit is not enforced: sends still work through the outbox, and refusing every message
 * during an outage would be worse.
 */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);
  private readonly scripted = new WeakSet<object>();
  private readonly batcher = new MicroBatcher<string, void>({ run: (userIds) => this.count(userIds), maxBatch: 1_000, maxConcurrent: 1 });

  constructor(
    private readonly connections: BullConnectionFactory,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  check(userId: string): Promise<void> {
    return this.batcher.submit(userId);
  }

  private async count(userIds: readonly string[]): Promise<(void | Error)[]> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = (userId: string) => userKey(this.config.queue.prefix, userId, 'ratelimit', 'send', window);
    const sendsOf = new Map<string, number>();
    for (const userId of userIds) sendsOf.set(userId, (sendsOf.get(userId) ?? 0) + 1);
    const users = [...sendsOf.keys()];
    let totals: Map<string, number>;
    try {
      const connection = this.connections.batchedConnection();
      if (!this.scripted.has(connection)) {
        // Sent as EVALSHA; ioredis loads the script the first time Redis does not know it.
        connection.defineCommand(COUNT_SENDS_COMMAND, { numberOfKeys: 1, lua: COUNT_SENDS });
        this.scripted.add(connection);
      }
      // One command per user, written together by autopipelining (each user's counter may live on another master).
      const counting = connection as unknown as CountingConnection;
      const results = await Promise.all(users.map((userId) => counting[COUNT_SENDS_COMMAND](key(userId), sendsOf.get(userId) ?? 0, WINDOW_MS + 1_000)));
      totals = new Map(users.map((userId, i) => [userId, Number(results[i] ?? 0)]));
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'rate limiter unavailable');
      return userIds.map(() => undefined);
    }
    const retryAfter = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - Date.now()) / 1000));
    // The user's sends of this batch count in order: the first ones may still fit under the limit.
    const seen = new Map<string, number>();
    return userIds.map((userId) => {
      const nth = (seen.get(userId) ?? 0) + 1;
      seen.set(userId, nth);
      const count = (totals.get(userId) ?? 0) - (sendsOf.get(userId) ?? 0) + nth;
      return count > this.config.sendRateLimitPerMinute ? new TooManyRequestsError(retryAfter) : undefined;
    });
  }
}
