import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { PRESENCE_TTL_MS, PresenceService, userRoom } from '@mq/messaging';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { ClientToServerCatalog, MessageReceiptAck, MessageSendAck, SyncAck } from '@mq/messaging-contracts';
import { MESSAGES_PAGE_MAX, SOCKET_EVENTS } from '@mq/messaging-contracts';
import { contextOf, traced } from '@mq/tracing';
import { SpanKind } from '@opentelemetry/api';
import { AuthenticatedUser, SESSION_COOKIE } from '../auth/auth.types';
import { readCookie } from '../auth/cookies';
import { SessionResolver } from '../auth/session.resolver';
import { BadInputException } from '../input/bad-input.exception';
import { socketFailure } from '../input/error-body.helper';
import { parseSocketInput } from '../input/socket-input.helper';
import { MessageSendService } from '../messages/message-send.service';
import { SendMessageDto } from '../messages/messages.dto';
import { MessagesService } from '../messages/messages.service';
import { ReceiptsService } from '../messages/receipts.service';
import { ReceiptDto, SyncDto } from './messaging.dto';

interface SocketData {
  user: AuthenticatedUser;
}

type AuthedSocket = Socket<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>;

type ClientEvent = keyof ClientToServerCatalog;
type AckOf<E extends ClientEvent> = ClientToServerCatalog[E]['ack'];

/**
 * The default namespace: a socket authenticates with its access token in the handshake
 * (checked again on every reconnect, cut when the token expires), joins its user's room,
 * and sends, acknowledges and syncs through the same checks as REST. Its events are plain
 * socket.io listeners: Nest's per-event pipeline (rxjs, filters) cost a tenth of the api's CPU
 * at 2,000 messages/s and bought nothing here (no guards, pipes or interceptors on them).
 */
@WebSocketGateway()
export class MessagingGateway implements OnGatewayInit, OnGatewayConnection<AuthedSocket>, OnApplicationShutdown {
  private readonly logger = new Logger(MessagingGateway.name);
  @WebSocketServer() private server?: Server;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionResolver,
    private readonly sender: MessageSendService,
    private readonly messages: MessagesService,
    private readonly receipts: ReceiptsService,
    private readonly presence: PresenceService,
  ) {}

  afterInit(server: Server): void {
    // Keep this instance's sockets present in Redis; a crashed instance's entries expire.
    this.heartbeat = setInterval(() => this.refreshPresence(server), PRESENCE_TTL_MS / 3);
    this.heartbeat.unref();
    server.use((socket, next) => {
      this.authenticate(socket as AuthedSocket).then(
        () => next(),
        (error: unknown) => next(new Error(error instanceof Error ? error.message : 'unauthorized')),
      );
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    this.server?.disconnectSockets(true);
  }

  private refreshPresence(server: Server): void {
    const entries = [...server.of('/').sockets.values()]
      .filter((socket) => (socket.data as Partial<SocketData>).user)
      .map((socket) => ({ userId: (socket.data as SocketData).user.id, socketId: socket.id }));
    this.presence.markOnline(entries).catch((error: unknown) => this.logger.warn({ err: String(error) }, 'presence refresh failed'));
  }

  handleConnection(socket: AuthedSocket): void {
    for (const [event, listener] of this.listeners) (socket as Socket).on(event, listener);
  }

  /**
   * One listener per event, shared by every socket (socket.io calls it with the socket as
   * `this`): listeners made per socket were closures kept for as long as it stays open.
   */
  private readonly listeners: readonly (readonly [string, (this: Socket, ...args: unknown[]) => void])[] = (() => {
    // The payload stays `unknown` until its DTO has checked it: the catalog types what a client should send, not what arrives.
    const on = <E extends ClientEvent>(event: E, handle: (socket: AuthedSocket, body: unknown) => Promise<AckOf<E>>) =>
      [
        event as string,
        function (this: Socket, ...args: unknown[]): void {
          // socket.io passes the ack last; an event sent with no payload, or with two, still gets its answer.
          const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (response: AckOf<E>) => void) : undefined;
          const reply =
            args.length === 1
              ? handle(this as AuthedSocket, args[0])
              : Promise.resolve(socketFailure(new BadInputException(`${event} takes one payload object`, 'invalid_body', 'body')));
          void reply.then((response) => ack?.(response));
        },
      ] as const;
    return [
      on(SOCKET_EVENTS.MESSAGE_SEND, (socket, body) => this.send(socket, body)),
      on(SOCKET_EVENTS.MESSAGE_DELIVERED, (socket, body) => this.receipt(socket, body, 'delivered')),
      on(SOCKET_EVENTS.MESSAGE_READ, (socket, body) => this.receipt(socket, body, 'read')),
      on(SOCKET_EVENTS.SYNC, (socket, body) => this.sync(socket, body)),
    ];
  })();

  private async send(socket: AuthedSocket, body: unknown): Promise<MessageSendAck> {
    try {
      const input = parseSocketInput(SendMessageDto, body);
      // A socket event's own trace (not the long-gone handshake request's).
      const outcome = await traced(`socket ${SOCKET_EVENTS.MESSAGE_SEND}`, { parent: contextOf(undefined), kind: SpanKind.SERVER }, () =>
        this.sender.send(socket.data.user.id, input, socket.data.user.role),
      );
      return { ok: true, message: outcome.message };
    } catch (error) {
      return socketFailure(error);
    }
  }

  private async sync(socket: AuthedSocket, body: unknown): Promise<SyncAck> {
    try {
      const input = parseSocketInput(SyncDto, body);
      const userAgent = socket.handshake.headers['user-agent'];
      const origin = { ip: socket.handshake.address || null, userAgent: typeof userAgent === 'string' ? userAgent : null };
      const messages = await this.messages.listAfter(socket.data.user.id, input.conversationId, input.afterSeq, MESSAGES_PAGE_MAX, 'socket-sync', origin);
      return { ok: true, messages };
    } catch (error) {
      return socketFailure(error);
    }
  }

  private async receipt(socket: AuthedSocket, body: unknown, status: 'delivered' | 'read'): Promise<MessageReceiptAck> {
    try {
      const { messageId, traceparent } = parseSocketInput(ReceiptDto, body);
      // The ack's span joins the trace of the message:new it answers.
      await traced(`socket message:${status}`, { parent: contextOf(traceparent), kind: SpanKind.SERVER, attributes: { 'mq.message.id': messageId } }, () =>
        this.receipts.record(socket.data.user.id, messageId, status),
      );
      return { ok: true };
    } catch (error) {
      return socketFailure(error);
    }
  }

  private async authenticate(socket: AuthedSocket): Promise<void> {
    const token: unknown = socket.handshake.auth?.['token'];
    // The console's own pages have no token in script, only the HttpOnly session cookie
    // (same origin; the Origin allow-list keeps other sites out).
    const session = await this.sessions.resolveHandshake(
      typeof token === 'string' && token ? token : readCookie(socket.handshake.headers.cookie, SESSION_COOKIE),
      socket.handshake.address,
    );
    socket.data.user = session.user;
    await socket.join(userRoom(session.user.id));
    // An expired token must not keep a live socket: cut it at expiry (the client reconnects with a new one).
    const remaining = session.expiresAt - Date.now();
    const timer = setTimeout(() => socket.disconnect(true), Math.max(0, Math.min(remaining, 2_147_483_647)));
    socket.once('disconnect', () => {
      clearTimeout(timer);
      this.presence.markOffline(session.user.id, socket.id).catch(() => undefined);
    });
    await this.presence.markOnline([{ userId: session.user.id, socketId: socket.id }]).catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'presence unavailable');
    });
    this.logger.debug({ userId: session.user.id }, 'socket connected');
  }
}
