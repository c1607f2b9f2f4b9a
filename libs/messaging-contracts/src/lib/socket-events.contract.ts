import type { Message, DeliveryStatus } from './message.contract';
import type { NotificationChannel } from './settings.contract';
import type { Alert, QueueMetrics } from './operator.contract';
import type { MessageNewEvent } from './trace-context.contract';

/** The `/admin` namespace (admin token): live queue metrics, failed jobs, alerts. */
export const ADMIN_NAMESPACE = '/admin';

/**
 * Every socket.io event name. Frozen string constants: renaming a handler never renames an
 * event that clients outside this repository listen for.
 */
export const SOCKET_EVENTS = Object.freeze({
  // client -> server (default namespace), each with an ack
  MESSAGE_SEND: 'message:send',
  MESSAGE_DELIVERED: 'message:delivered',
  MESSAGE_READ: 'message:read',
  SYNC: 'sync',
  // server -> client (default namespace)
  MESSAGE_NEW: 'message:new',
  MESSAGE_STATUS: 'message:status',
  MESSAGE_UPDATED: 'message:updated',
  MESSAGE_DELETED: 'message:deleted',
  NOTIFICATION_NEW: 'notification:new',
  // server -> client (ADMIN_NAMESPACE)
  QUEUE_METRICS: 'queue:metrics',
  JOB_FAILED: 'job:failed',
  ALERT: 'alert',
} as const);

export type SocketEventName = (typeof SOCKET_EVENTS)[keyof typeof SOCKET_EVENTS];

/** A refused ack: what the same call over REST would answer, with its HTTP status. */
export interface SocketAckFailure {
  ok: false;
  error: string;
  /** The HTTP status the same call would get over REST (400, 404, 429, 503, ...). */
  status: number;
  /** A stable machine-readable code ('bad_request', 'not_found', 'too_many_requests', ...). */
  code: string;
  /** The offending field, for bad input. */
  field?: string;
}

/** `message:send` payload. Same rules and idempotency as `POST /messages`. */
export interface MessageSendPayload {
  conversationId: string;
  content: string;
  clientMessageId: string;
  /** As `POST /messages`: allowed roles only (else a 403 ack). */
  critical?: boolean;
}

export type MessageSendAck = { ok: true; message: Message } | SocketAckFailure;

/** `message:delivered` / `message:read` payload (recipient only). */
export interface MessageReceiptPayload {
  messageId: string;
  /** The `traceparent` of the `message:new` it answers, sent back so the receipt joins the message's trace (optional). */
  traceparent?: string;
}

export type MessageReceiptAck = { ok: true } | SocketAckFailure;

/** `sync` payload: every message after `afterSeq`, as `GET /conversations/:id/messages?afterSeq=`. */
export interface SyncPayload {
  conversationId: string;
  afterSeq: number;
}

export type SyncAck = { ok: true; messages: Message[] } | SocketAckFailure;

/** `message:status`, to the sender: one recipient's delivery moved on. */
export interface MessageStatusEvent {
  messageId: string;
  recipientId: string;
  status: DeliveryStatus;
  at: string;
  /** With tracing on: the trace context of the receipt (the recipient's ack). */
  traceparent?: string;
}

/** `message:deleted`. */
export interface MessageDeletedEvent {
  id: string;
  conversationId: string;
}

/** `notification:new`: an in-app notification row; never message content. */
export interface NotificationEvent {
  id: string;
  channel: NotificationChannel;
  title: string;
  body: string;
  messageId: string | null;
}

/** `job:failed` on ADMIN_NAMESPACE. */
export interface JobFailedEvent {
  queue: string;
  jobId: string;
  name: string;
  failedReason: string;
}

/**
 * The socket events, each defined once: these catalogs give every event's payload (and, for the
 * client's events, its ack); the event maps socket.io is typed with are derived from them, and
 * so are the AsyncAPI document (apps/api/asyncapi.json) and the README's table of events.
 */

/** Default namespace, client -> server: every event takes `(payload, ack)`. */
export interface ClientToServerCatalog {
  /** Sends a message: the same rules, limits and idempotency (`clientMessageId`) as `POST /messages`. */
  [SOCKET_EVENTS.MESSAGE_SEND]: { payload: MessageSendPayload; ack: MessageSendAck };
  /** A recipient's device has the message (recipients only). */
  [SOCKET_EVENTS.MESSAGE_DELIVERED]: { payload: MessageReceiptPayload; ack: MessageReceiptAck };
  /** The recipient has read the message (recipients only). */
  [SOCKET_EVENTS.MESSAGE_READ]: { payload: MessageReceiptPayload; ack: MessageReceiptAck };
  /** Catch-up after a reconnect: every message after `afterSeq`, as `GET /conversations/{id}/messages?afterSeq=`. */
  [SOCKET_EVENTS.SYNC]: { payload: SyncPayload; ack: SyncAck };
}

/** Default namespace, server -> client, to the users concerned (each user's sockets share a room). */
export interface ServerToClientCatalog {
  /** A new message for this user, a recipient of it. At least once: keep messages by id. */
  [SOCKET_EVENTS.MESSAGE_NEW]: MessageNewEvent;
  /** To the sender: one recipient's delivery moved on. */
  [SOCKET_EVENTS.MESSAGE_STATUS]: MessageStatusEvent;
  /** A message was edited. */
  [SOCKET_EVENTS.MESSAGE_UPDATED]: Message;
  /** A message was deleted. */
  [SOCKET_EVENTS.MESSAGE_DELETED]: MessageDeletedEvent;
  /** An in-app notification; never message content. */
  [SOCKET_EVENTS.NOTIFICATION_NEW]: NotificationEvent;
}

/** ADMIN_NAMESPACE (`/admin`, admins only), server -> client. */
export interface AdminServerToClientCatalog {
  /** The `GET /queue/metrics` body, at least every 2 s. */
  [SOCKET_EVENTS.QUEUE_METRICS]: QueueMetrics;
  /** A job failed for good, its attempts spent (`GET /queue/{name}/jobs/{id}` has its history). */
  [SOCKET_EVENTS.JOB_FAILED]: JobFailedEvent;
  /** An alert fired or resolved. */
  [SOCKET_EVENTS.ALERT]: Alert;
}

/** socket.io's event map for client -> server events: `Server<ClientToServerEvents, ServerToClientEvents>`. */
export type ClientToServerEvents = {
  [E in keyof ClientToServerCatalog]: (payload: ClientToServerCatalog[E]['payload'], ack: (response: ClientToServerCatalog[E]['ack']) => void) => void;
};

/** socket.io's event map for the default namespace's server -> client events. */
export type ServerToClientEvents = { [E in keyof ServerToClientCatalog]: (payload: ServerToClientCatalog[E]) => void };

/** socket.io's event map for ADMIN_NAMESPACE's server -> client events. */
export type AdminServerToClientEvents = { [E in keyof AdminServerToClientCatalog]: (payload: AdminServerToClientCatalog[E]) => void };

/** Handshake `auth` (`io(url, { auth })`): a missing, bad or expired token is refused with `connect_error`. */
export interface SocketHandshakeAuth {
  token: string;
}
