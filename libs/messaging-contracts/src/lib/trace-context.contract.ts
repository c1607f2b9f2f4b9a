import type { Message } from './message.contract';

/** `message:new`: the message, and with tracing on the W3C `traceparent` of its emit, for the recipient's acks to send back. */
export interface MessageNewEvent extends Message {
  traceparent?: string;
}
