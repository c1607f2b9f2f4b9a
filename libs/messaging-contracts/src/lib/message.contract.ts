export const MESSAGE_PRIORITIES = Object.freeze(['high', 'normal', 'low'] as const);
export type MessagePriority = (typeof MESSAGE_PRIORITIES)[number];

/** A message's own lifecycle; `deleted` once the sender (or an admin) deletes it. */
export const MESSAGE_STATUSES = Object.freeze(['scheduled', 'queued', 'sent', 'failed', 'deleted'] as const);
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** One recipient's copy of a message. */
export const DELIVERY_STATUSES = Object.freeze(['queued', 'sent', 'delivered', 'read', 'failed'] as const);
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A message as members see it over REST and socket.io; `content` is plaintext only here. */
export interface Message {
  id: string;
  conversationId: string;
  /**
   * Position in the conversation: ascending, what clients order and detect gaps by. Null
   * while a scheduled message has not gone out: it takes its seq when it does, so a
   * recipient's catch-up never waits on a hole.
   */
  seq: number | null;
  senderId: string;
  content: string;
  clientMessageId: string | null;
  priority: MessagePriority;
  status: MessageStatus;
  sendAt: string | null;
  createdAt: string;
  editedAt: string | null;
}

/**
 * The exact key list of `Message`, in the public API's order (the spec checks it against the
 * type at compile time), e.g. for a serialiser that picks exactly these fields.
 */
export const MESSAGE_KEYS = Object.freeze([
  'id',
  'conversationId',
  'seq',
  'senderId',
  'content',
  'clientMessageId',
  'priority',
  'status',
  'sendAt',
  'createdAt',
  'editedAt',
] as const);

/** `POST /messages` -> 202 (or 200/202 again for a repeated `clientMessageId`). */
export interface SendMessageRequest {
  conversationId: string;
  content: string;
  /** Idempotency key, unique per sender: the same one again returns the same message. */
  clientMessageId?: string;
  priority?: MessagePriority;
  /** ISO-8601; in the future makes a scheduled message. */
  sendAt?: string;
  /**
   * Goes through every recipient's quiet hours at once, on every channel. Only senders whose
   * role is in the api's CRITICAL_SENDER_ROLES may set it (else 403); each one is audited.
   */
  critical?: boolean;
}

export interface SendMessageResponse {
  message: Message;
  jobId: string;
}

/** `PATCH /messages/:id` (sender only) -> 200 Message. */
export interface EditMessageRequest {
  content: string;
}

/** `GET /conversations/:id/messages` query. */
export interface ListMessagesQuery {
  afterSeq?: number;
  /** 1..MESSAGES_PAGE_MAX, default MESSAGES_PAGE_DEFAULT. */
  limit?: number;
}

/** `GET /conversations/:id/messages` -> 200, ascending by `seq`. */
export interface MessagesPage {
  messages: Message[];
}

/** `GET /messages/:id/deliveries` (sender or admin) -> 200 Delivery[]. */
export interface Delivery {
  recipientId: string;
  status: DeliveryStatus;
  attempts: number;
  failureReason: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
}

/** `GET /messages/search` query. Whole-word match, only the caller's conversations. */
export interface SearchMessagesQuery {
  q: string;
  conversationId?: string;
}

export interface SearchResult {
  messageId: string;
  conversationId: string;
  seq: number;
  createdAt: string;
}

/** `GET /messages/search` -> 200. Ids only: the caller fetches content through the conversation. */
export interface SearchResults {
  results: SearchResult[];
}
