import Redis from 'ioredis';
import type { Message, MessageStatusEvent } from '@mq/messaging-contracts';
import type { RedisTarget } from './bench.cli';
import { describeError } from './process.probe';

/**
 * A `message:status` that beat the POST's answer waits this long for its id; older ones were
 * repeats for messages already done (the id is no longer tracked) and are let go.
 */
export const EARLY_STATUS_TTL_MS = 120_000;

export const ACCEPTED = 1;
export const RECEIVED = 2;
export const DELIVERED = 4;

/** FNV-1a: 32 bits are enough to tell a redelivery (same id) from a second copy (another id). */
export function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The soak's bookkeeping in fixed memory, whatever the message count: per send index one state
 * byte and 32-bit hashes of the accepted and the received id (9 bytes a message, 9 MB for a
 * million), plus maps of only what is in flight — an entry goes once the message is delivered.
 * A message arriving after its entry went is still classified: same id hash, redelivered;
 * another, duplicated (a hash collision, 1 in 4 billion, would call a duplicate a redelivery).
 */
export class SoakTracker {
  private readonly state: Uint8Array;
  private readonly acceptedHash: Uint32Array;
  private readonly receivedHash: Uint32Array;
  /** Accepted, not yet delivered: message id → send index (`message:status` carries only the id). */
  private readonly awaitingStatus = new Map<string, number>();
  /** `message:status` that beat the POST's answer, by message id → when it came. */
  private readonly earlyStatus = new Map<string, number>();
  sent = 0;
  accepted = 0;
  rejected = 0;
  received = 0;
  delivered = 0;
  duplicated = 0;
  duplicateReceipts = 0;
  lastDeliveredAt = 0;
  /** Told of every message recorded delivered (the soak's checkpoints fall on exact counts). */
  onDeliveredCount?: (delivered: number, at: number) => void;
  readonly errors = new Map<string, number>();

  constructor(
    private readonly prefix: string,
    readonly capacity: number,
  ) {
    this.state = new Uint8Array(capacity);
    this.acceptedHash = new Uint32Array(capacity);
    this.receivedHash = new Uint32Array(capacity);
  }

  get tracked(): number {
    return this.awaitingStatus.size + this.earlyStatus.size;
  }

  clientMessageId(index: number): string {
    return `${this.prefix}-${index}`;
  }

  onAccepted(index: number, messageId: string, at: number): void {
    const hash = idHash(messageId);
    const state = this.state[index] as number;
    this.state[index] = state | ACCEPTED;
    this.acceptedHash[index] = hash;
    this.accepted += 1;
    if (state & RECEIVED && this.receivedHash[index] !== hash) this.duplicated += 1;
    if (this.earlyStatus.delete(messageId)) this.markDelivered(index, at);
    else this.awaitingStatus.set(messageId, index);
  }

  onRejected(error: unknown): void {
    this.rejected += 1;
    const key = describeError(error);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  onReceived(message: Message): void {
    const index = this.indexOf(message.clientMessageId);
    if (index === undefined) return;
    const hash = idHash(message.id);
    const state = this.state[index] as number;
    if (state & RECEIVED) {
      // The same message again is at-least-once delivery (clients dedupe by id); another id is a second copy.
      if (this.receivedHash[index] === hash) this.duplicateReceipts += 1;
      else this.duplicated += 1;
      return;
    }
    if (state & ACCEPTED && this.acceptedHash[index] !== hash) this.duplicated += 1;
    this.state[index] = state | RECEIVED;
    this.receivedHash[index] = hash;
    this.received += 1;
  }

  onStatus(event: MessageStatusEvent, at: number): void {
    if (event.status !== 'delivered') return;
    const index = this.awaitingStatus.get(event.messageId);
    if (index === undefined) {
      this.earlyStatus.set(event.messageId, at);
      return;
    }
    this.awaitingStatus.delete(event.messageId);
    this.markDelivered(index, at);
  }

  /** Lets go of early statuses no POST answer claimed (repeats for messages already delivered). */
  prune(now: number): void {
    for (const [id, at] of this.earlyStatus) if (now - at > EARLY_STATUS_TTL_MS) this.earlyStatus.delete(id);
  }

  /** Accepted but never received / never recorded delivered (one pass over the state bytes). */
  missing(): { notReceived: number; notDelivered: number } {
    let notReceived = 0;
    let notDelivered = 0;
    const sent = Math.min(this.sent, this.capacity);
    for (let i = 0; i < sent; i += 1) {
      const state = this.state[i] as number;
      if (!(state & ACCEPTED)) continue;
      if (!(state & RECEIVED)) notReceived += 1;
      if (!(state & DELIVERED)) notDelivered += 1;
    }
    return { notReceived, notDelivered };
  }

  private markDelivered(index: number, at: number): void {
    const state = this.state[index] as number;
    if (state & DELIVERED) return;
    this.state[index] = state | DELIVERED;
    this.delivered += 1;
    this.lastDeliveredAt = at;
    this.onDeliveredCount?.(this.delivered, at);
  }

  private indexOf(clientMessageId: string | null | undefined): number | undefined {
    if (!clientMessageId?.startsWith(`${this.prefix}-`)) return undefined;
    const index = Number(clientMessageId.slice(this.prefix.length + 1));
    return Number.isInteger(index) && index >= 0 && index < this.capacity ? index : undefined;
  }
}

/** INFO memory and DBSIZE over one connection kept for the whole soak (a sample every 5 s for hours). */
export class RedisSampler {
  private readonly redis: Redis;

  constructor(target: RedisTarget) {
    this.redis = new Redis({ ...target, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  async read(): Promise<{ usedMemory?: number; keys?: number }> {
    try {
      const [info, keys] = await Promise.all([this.redis.info('memory'), this.redis.dbsize()]);
      const usedMemory = /^used_memory:(\d+)/m.exec(info)?.[1];
      return { usedMemory: usedMemory === undefined ? undefined : Number(usedMemory), keys };
    } catch {
      return {};
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
