import type { Message, DeliveryStatus } from './message.contract';
import type { NotificationChannel } from './settings.contract';
import type { Alert, QueueMetrics } from './operator.contract';

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
}

export type MessageSendAck = { ok: true; message: Message } | SocketAckFailure;

/** `message:delivered` / `message:read` payload (recipient only). */
export interface MessageReceiptPayload {
  messageId: string;
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

/** Default namespace, server -> client: `Server<ClientToServerEvents, ServerToClientEvents>`. */
export interface ServerToClientEvents {
  [SOCKET_EVENTS.MESSAGE_NEW]: (message: Message) => void;
  [SOCKET_EVENTS.MESSAGE_STATUS]: (event: MessageStatusEvent) => void;
  [SOCKET_EVENTS.MESSAGE_UPDATED]: (message: Message) => void;
  [SOCKET_EVENTS.MESSAGE_DELETED]: (event: MessageDeletedEvent) => void;
  [SOCKET_EVENTS.NOTIFICATION_NEW]: (notification: NotificationEvent) => void;
}

/** Default namespace, client -> server: every event takes `(payload, ack)`. */
export interface ClientToServerEvents {
  [SOCKET_EVENTS.MESSAGE_SEND]: (payload: MessageSendPayload, ack: (response: MessageSendAck) => void) => void;
  [SOCKET_EVENTS.MESSAGE_DELIVERED]: (payload: MessageReceiptPayload, ack: (response: MessageReceiptAck) => void) => void;
  [SOCKET_EVENTS.MESSAGE_READ]: (payload: MessageReceiptPayload, ack: (response: MessageReceiptAck) => void) => void;
  [SOCKET_EVENTS.SYNC]: (payload: SyncPayload, ack: (response: SyncAck) => void) => void;
}

/** ADMIN_NAMESPACE, server -> client. Admins only listen there. */
export interface AdminServerToClientEvents {
  /** At least every 2 s. */
  [SOCKET_EVENTS.QUEUE_METRICS]: (metrics: QueueMetrics) => void;
  [SOCKET_EVENTS.JOB_FAILED]: (event: JobFailedEvent) => void;
  [SOCKET_EVENTS.ALERT]: (alert: Alert) => void;
}

/** Handshake `auth` (`io(url, { auth })`): a missing, bad or expired token is refused with `connect_error`. */
export interface SocketHandshakeAuth {
  token: string;
}
