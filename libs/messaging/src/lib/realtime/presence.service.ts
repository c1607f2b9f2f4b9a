import { Inject, Injectable } from '@nestjs/common';
import { BullConnectionFactory, userKey } from '@mq/queue';
import { REALTIME_OPTIONS, RealtimeOptions } from './realtime.emitter';

/** A socket counts as present this long after its last heartbeat (api crashes clean up by themselves). */
export const PRESENCE_TTL_MS = 60_000;

/**
 * Who has a socket open, across every api instance, in Redis: one sorted set per user of
 * socket ids scored by expiry. The api refreshes its sockets; the worker asks before
 * deciding between "notify now" (offline) and "notify if still unread later" (online).
 */
@Injectable()
export class PresenceService {
  constructor(
    private readonly connections: BullConnectionFactory,
    @Inject(REALTIME_OPTIONS) private readonly options: RealtimeOptions,
  ) {}

  private key(userId: string): string {
    return userKey(this.options.channelPrefix, userId, 'presence');
  }

  async markOnline(entries: readonly { userId: string; socketId: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const expiresAt = Date.now() + PRESENCE_TTL_MS;
    const redis = this.connections.batchedConnection();
    // Written together by autopipelining: each user's set may live on another master, where one pipeline would fail.
    await Promise.all(
      entries.flatMap(({ userId, socketId }) => [redis.zadd(this.key(userId), expiresAt, socketId), redis.pexpire(this.key(userId), PRESENCE_TTL_MS * 2)]),
    );
  }

  async markOffline(userId: string, socketId: string): Promise<void> {
    await this.connections.batchedConnection().zrem(this.key(userId), socketId);
  }

  /** The subset of `userIds` with at least one live socket. */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const now = Date.now();
    const redis = this.connections.batchedConnection();
    const counts = await Promise.all(userIds.map((userId) => redis.zcount(this.key(userId), now, '+inf')));
    return new Set(userIds.filter((_, i) => (counts[i] ?? 0) > 0));
  }
}
