/*
 * `GET /messages/:id/timeline` (admin role). With tracing on (README "Tracing"), a message's
 * hops carry the id of its one trace, and the trace's page in the configured trace UI.
 */

/** The known timeline kinds; the server may add more. */
export type TimelineEventKind = 'accepted' | 'published' | 'attempt' | 'emitted' | 'delivered' | 'read' | 'notification' | 'failed' | 'retried' | (string & {});

/** A trace this message's hop belongs to. */
export interface TraceLink {
  /** W3C trace id, 32 hex digits. */
  traceId: string;
  /** The trace in the trace UI (TRACE_URL_TEMPLATE); null when none is configured. */
  traceUrl: string | null;
}

export interface TimelineEvent {
  at: string;
  kind: TimelineEventKind;
  /** Human-readable, never message content. */
  detail: string;
  /** The trace of this hop, when it was traced (a publish, a job attempt of it, a receipt). */
  trace?: TraceLink;
}

/** `GET /messages/:id/timeline` -> 200, events in time order. */
export interface MessageTimeline {
  messageId: string;
  events: TimelineEvent[];
  /** The trace the message was sent in, from `POST /messages` (or `message:send`) to its receipts; null when not traced. */
  trace: TraceLink | null;
}
