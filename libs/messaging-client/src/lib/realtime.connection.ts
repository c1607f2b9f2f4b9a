import {
  ADMIN_NAMESPACE,
  SOCKET_EVENTS,
  type AdminServerToClientEvents,
  type ClientToServerEvents,
  type Message,
  type MessageSendPayload,
  type ServerToClientEvents,
} from '@mq/messaging-contracts';
import { type ConnectionContext, describe, type RealtimeOptions, SocketConnection } from './socket.connection';

const AUTO_ACK_RETRIES = 5;
const AUTO_ACK_BACKOFF_MS = 500;

/** The ack type of a client -> server event: the first argument of its ack callback. */
type AckOf<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/** The default namespace: messages, receipts, sync. */
export class RealtimeConnection extends SocketConnection<ServerToClientEvents, ClientToServerEvents> {
  private readonly autoAckDelivered: boolean;
  private readonly userId: string | null;

  constructor(context: ConnectionContext, options: RealtimeOptions = {}) {
    super(context, '/', SERVER_EVENT_NAMES, options);
    this.autoAckDelivered = options.autoAckDelivered ?? false;
    this.userId = options.userId ?? context.userId;
  }

  /** `message:send`: resolves with the stored message (same id again for a repeated `clientMessageId`). */
  async sendViaSocket(payload: MessageSendPayload): Promise<Message> {
    return (await this.call(SOCKET_EVENTS.MESSAGE_SEND, payload)).message;
  }

  /** `traceparent`: the one `message:new` came with, sent back so the receipt joins the message's trace. */
  async ackDelivered(messageId: string, traceparent?: string): Promise<void> {
    await this.call(SOCKET_EVENTS.MESSAGE_DELIVERED, traceparent ? { messageId, traceparent } : { messageId });
  }

  async ackRead(messageId: string, traceparent?: string): Promise<void> {
    await this.call(SOCKET_EVENTS.MESSAGE_READ, traceparent ? { messageId, traceparent } : { messageId });
  }

  /** Every message after `afterSeq`, ascending (the socket twin of `listMessages`). */
  async sync(conversationId: string, afterSeq: number): Promise<Message[]> {
    return (await this.call(SOCKET_EVENTS.SYNC, { conversationId, afterSeq })).messages;
  }

  private call<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<Extract<AckOf<E>, { ok: true }>> {
    return this.expectAck(event, () => {
      const timed = this.socket.timeout(this.ackTimeoutMs);
      // socket.io types a timed emitWithAck's answer as `any`; the event map says what it is.
      const emitWithAck = timed.emitWithAck as (event: E, payload: Parameters<ClientToServerEvents[E]>[0]) => Promise<AckOf<E>>;
      return emitWithAck.call(timed, event, payload);
    });
  }

  protected override handleEvent<E extends keyof ServerToClientEvents>(event: E, args: Parameters<ServerToClientEvents[E]>): void {
    super.handleEvent(event, args);
    if (!this.autoAckDelivered || event !== SOCKET_EVENTS.MESSAGE_NEW) return;
    const [message] = args as Parameters<ServerToClientEvents[typeof SOCKET_EVENTS.MESSAGE_NEW]>;
    if (message.senderId === this.userId) return;
    this.autoAck(message.id, message.traceparent, 0);
  }

  /**
   * A refused or timed-out receipt (the server's database briefly away, say) is tried again with
   * backoff: without it that delivery would stay `sent` for good. Gives up after a few tries.
   */
  private autoAck(messageId: string, traceparent: string | undefined, attempt: number): void {
    this.ackDelivered(messageId, traceparent).catch((error: unknown) => {
      if (attempt >= AUTO_ACK_RETRIES) {
        this.reportError(error instanceof Error ? error : new Error(describe(error)));
        return;
      }
      const timer = setTimeout(() => this.autoAck(messageId, traceparent, attempt + 1), AUTO_ACK_BACKOFF_MS * 2 ** attempt);
      (timer as { unref?: () => void }).unref?.();
    });
  }
}

/** The `/admin` namespace: live queue metrics, failed jobs, alerts (admin token). */
export class AdminRealtimeConnection extends SocketConnection<AdminServerToClientEvents, Record<string, never>> {
  constructor(context: ConnectionContext, options: Omit<RealtimeOptions, 'autoAckDelivered' | 'userId'> = {}) {
    super(context, ADMIN_NAMESPACE, ADMIN_EVENT_NAMES, options);
  }
}

const SERVER_EVENT_NAMES: ReadonlySet<string> = new Set<keyof ServerToClientEvents>([
  SOCKET_EVENTS.MESSAGE_NEW,
  SOCKET_EVENTS.MESSAGE_STATUS,
  SOCKET_EVENTS.MESSAGE_UPDATED,
  SOCKET_EVENTS.MESSAGE_DELETED,
  SOCKET_EVENTS.NOTIFICATION_NEW,
]);

const ADMIN_EVENT_NAMES: ReadonlySet<string> = new Set<keyof AdminServerToClientEvents>([
  SOCKET_EVENTS.QUEUE_METRICS,
  SOCKET_EVENTS.JOB_FAILED,
  SOCKET_EVENTS.ALERT,
]);
