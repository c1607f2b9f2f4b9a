import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionState, UserRepository } from '@mq/db';
import { BullConnectionFactory, userKey } from '@mq/queue';
import { API_CONFIG, ApiConfig } from '../api.config';

/** An entry lives this long: the next request reads Postgres again, and an entry a failed refresh left stale cannot outlive it. */
const ENTRY_TTL_SECONDS = 300;

/**
 * Every request's session check reads one Redis key instead of Postgres. The rule that keeps
 * it right on every api instance: whoever changes a user (revocation, deactivation, a new role
 * or name) writes the user's new state over the entry after the change commits, while a read
 * that missed fills the entry only if it is still absent (SET NX), so a read that raced a
 * change can never put the old state back. Without Redis it reads Postgres.
 */
@Injectable()
export class SessionStateCache {
  private readonly logger = new Logger(SessionStateCache.name);
  private readonly prefix: string;

  constructor(
    private readonly connections: BullConnectionFactory,
    private readonly users: UserRepository,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.prefix = config.queue.prefix;
  }

  /** v2: entries hold camelCase fields; an entry an older version wrote is not read as one. */
  private key(userId: string): string {
    return userKey(this.prefix, userId, 'session-v2');
  }

  async get(userId: string): Promise<SessionState | undefined> {
    const redis = this.connections.commandConnection();
    const cached = redis.status === 'ready' ? await redis.get(this.key(userId)).catch(() => null) : null;
    if (cached) return JSON.parse(cached) as SessionState;
    const state = await this.users.sessionState(userId);
    if (state && redis.status === 'ready') {
      await redis.set(this.key(userId), JSON.stringify(state), 'EX', ENTRY_TTL_SECONDS, 'NX').catch(() => undefined);
    }
    return state;
  }

  /** After a change to the user has committed: the state every instance sees from now on. */
  async refresh(userId: string): Promise<void> {
    const state = await this.users.sessionState(userId);
    const redis = this.connections.commandConnection();
    try {
      if (state) await redis.set(this.key(userId), JSON.stringify(state), 'EX', ENTRY_TTL_SECONDS);
      else await redis.del(this.key(userId));
    } catch (error) {
      // The entry may now be stale until it expires: say so loudly rather than fail the change.
      this.logger.error({ err: error instanceof Error ? error.message : String(error), userId }, 'could not refresh a session entry');
    }
  }
}
