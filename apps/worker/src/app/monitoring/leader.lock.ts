import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisConnection } from '@mq/queue';

// Renew if we hold it, else take it if nobody does: one round trip, atomic.
const ACQUIRE_OR_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

// Only the holder may delete it: a lock that expired and was taken by another stays theirs.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Elects one process among many through a Redis key with an expiry (SET NX PX). The holder
 * renews it on every round; if it dies, the key expires and another process takes over.
 */
export class LeaderLock {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  private holding = false;

  constructor(
    private readonly redis: RedisConnection,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** Whether the last acquire succeeded (what this process believes, without asking Redis). */
  get held(): boolean {
    return this.holding;
  }

  /** Takes or renews the lock; false when another process holds it. */
  async acquire(): Promise<boolean> {
    const result = await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.owner, String(this.ttlMs));
    this.holding = result === 1;
    return this.holding;
  }

  /** Gives it up at once (a clean shutdown), so another process need not wait for the expiry. */
  async release(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    await this.redis.eval(RELEASE, 1, this.key, this.owner);
  }

  /** Forgets leadership locally (the lock could not be renewed in time). */
  abandon(): void {
    this.holding = false;
  }
}
