import type { DeliveryStatus, Message } from '@mq/messaging-contracts';
import { MessagingClient } from '@mq/messaging-client';

/**
 * The chat's own api client: bearer token in memory only, and `credentials: 'omit'` so the
 * chat's sign-in neither reads nor replaces the console's session cookie in the same browser.
 */
export function createChatClient(origin: string): MessagingClient {
  return new MessagingClient({ baseUrl: `${origin}/api`, credentials: 'omit' });
}

export type Tick = 'scheduled' | 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<DeliveryStatus, number> = { failed: -1, queued: 0, sent: 1, delivered: 2, read: 3 };

/** Receipts only move forward: a late `delivered` never undoes a `read`. */
export function laterStatus(current: DeliveryStatus | undefined, incoming: DeliveryStatus): DeliveryStatus {
  if (!current) return incoming;
  if (incoming === 'failed') return current === 'queued' ? 'failed' : current;
  if (current === 'failed') return incoming;
  return RANK[incoming] > RANK[current] ? incoming : current;
}

/**
 * The tick of one's own message: the least advanced recipient decides (a group message is
 * "read" once everyone read it). Without receipts yet, the message's own status.
 */
export function tickFor(message: Pick<Message, 'status'>, recipients: ReadonlyMap<string, DeliveryStatus> | undefined): Tick {
  const statuses = recipients ? [...recipients.values()] : [];
  if (statuses.length === 0) {
    if (message.status === 'scheduled') return 'scheduled';
    if (message.status === 'failed') return 'failed';
    return 'sent';
  }
  if (statuses.some((status) => status === 'failed')) return 'failed';
  const least = Math.min(...statuses.map((status) => RANK[status]));
  return least >= RANK.read ? 'read' : least >= RANK.delivered ? 'delivered' : 'sent';
}

export const TICK_TEXT: Record<Tick, { symbol: string; label: string }> = {
  scheduled: { symbol: '🕓', label: 'Scheduled' },
  sent: { symbol: '✓', label: 'Sent' },
  delivered: { symbol: '✓✓', label: 'Delivered' },
  read: { symbol: '✓✓', label: 'Read' },
  failed: { symbol: '!', label: 'Not delivered' },
};

/** A client message id (idempotency key) without relying on crypto.randomUUID (insecure origins lack it). */
export function newClientMessageId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
