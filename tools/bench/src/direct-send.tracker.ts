import type { Message, MessageStatusEvent } from '@mq/messaging-contracts';
import { describeError } from './process.probe';

export interface Tracked {
  sentAt: number;
  /** The id the api answered with; a received message under another id is a duplicate. */
  messageId?: string;
  receivedId?: string;
  acceptedAt?: number;
  receivedAt?: number;
  deliveredAt?: number;
}

/** One run's bookkeeping: every message by clientMessageId (known at send) and by id (known once accepted). */
export class Tracker {
  readonly byClientId = new Map<string, Tracked>();
  private readonly byId = new Map<string, Tracked>();
  /** `message:status` that beat the POST's answer (rare, but then the id is not known yet). */
  private readonly earlyDelivered = new Map<string, number>();
  readonly acceptedTimes: number[] = [];
  readonly receivedTimes: number[] = [];
  readonly deliveredTimes: number[] = [];
  sent = 0;
  rejected = 0;
  dropped = 0;
  duplicateReceipts = 0;
  duplicated = 0;
  readonly errors = new Map<string, number>();

  constructor(readonly origin: number) {}

  get accepted(): number {
    return this.acceptedTimes.length;
  }

  get received(): number {
    return this.receivedTimes.length;
  }

  get delivered(): number {
    return this.deliveredTimes.length;
  }

  onSent(clientMessageId: string, at: number): void {
    this.sent += 1;
    this.byClientId.set(clientMessageId, { sentAt: at });
  }

  onAccepted(clientMessageId: string, messageId: string, at: number): void {
    const tracked = this.byClientId.get(clientMessageId);
    if (!tracked) return;
    tracked.acceptedAt = at;
    tracked.messageId = messageId;
    if (tracked.receivedId !== undefined && tracked.receivedId !== messageId) this.duplicated += 1;
    this.acceptedTimes.push(at);
    this.byId.set(messageId, tracked);
    const early = this.earlyDelivered.get(messageId);
    if (early !== undefined) this.markDelivered(tracked, early);
  }

  onRejected(error: unknown): void {
    this.rejected += 1;
    const key = describeError(error);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  onReceived(message: Message, at: number): void {
    const tracked = message.clientMessageId ? this.byClientId.get(message.clientMessageId) : undefined;
    if (!tracked) return;
    if (tracked.receivedAt !== undefined) {
      // The same message again is at-least-once delivery (clients dedupe by id); another id is a second copy.
      if (message.id === tracked.receivedId) this.duplicateReceipts += 1;
      else this.duplicated += 1;
      return;
    }
    if (tracked.messageId !== undefined && tracked.messageId !== message.id) this.duplicated += 1;
    tracked.receivedId = message.id;
    tracked.receivedAt = at;
    this.receivedTimes.push(at);
  }

  onStatus(event: MessageStatusEvent, at: number): void {
    if (event.status !== 'delivered') return;
    const tracked = this.byId.get(event.messageId);
    if (tracked) this.markDelivered(tracked, at);
    else this.earlyDelivered.set(event.messageId, at);
  }

  private markDelivered(tracked: Tracked, at: number): void {
    if (tracked.deliveredAt !== undefined) return;
    tracked.deliveredAt = at;
    this.deliveredTimes.push(at);
  }

  latencies(pick: (t: Tracked) => number | undefined): number[] {
    const out: number[] = [];
    for (const tracked of this.byClientId.values()) {
      const at = pick(tracked);
      if (at !== undefined) out.push(at - tracked.sentAt);
    }
    return out;
  }
}
