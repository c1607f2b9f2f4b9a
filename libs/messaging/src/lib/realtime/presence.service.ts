import { Inject, Injectable } from '@nestjs/common';
import { BullConnectionFactory } from '@mq/queue';
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
    return `${this.options.channelPrefix}:presence:${userId}`;
  }

  async markOnline(entries: readonly { userId: string; socketId: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const expiresAt = Date.now() + PRESENCE_TTL_MS;
    const pipeline = this.connections.commandConnection().pipeline();
    for (const { userId, socketId } of entries) {
      pipeline.zadd(this.key(userId), expiresAt, socketId).pexpire(this.key(userId), PRESENCE_TTL_MS * 2);
    }
    await pipeline.exec();
  }

  async markOffline(userId: string, socketId: string): Promise<void> {
    await this.connections.commandConnection().zrem(this.key(userId), socketId);
  }

  /** The subset of `userIds` with at least one live socket. */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const now = Date.now();
    const pipeline = this.connections.commandConnection().pipeline();
    for (const userId of userIds) pipeline.zcount(this.key(userId), now, '+inf');
    const results = (await pipeline.exec()) ?? [];
    return new Set(userIds.filter((_, i) => Number(results[i]?.[1] ?? 0) > 0));
  }
}
