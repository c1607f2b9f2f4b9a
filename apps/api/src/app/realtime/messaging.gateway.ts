import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { PRESENCE_TTL_MS, PresenceService, userRoom } from '@mq/messaging';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsUUID, Min, validate } from 'class-validator';
import type { Server, Socket } from 'socket.io';
import type { Message } from '@mq/messaging-contracts';
import { MESSAGES_PAGE_MAX } from '@mq/messaging-contracts';
import { AuthenticatedUser, SESSION_COOKIE } from '../auth/auth.types';
import { readCookie } from '../auth/cookies';
import { SessionResolver } from '../auth/session.resolver';
import { MessageSendService } from '../messages/message-send.service';
import { SendMessageDto } from '../messages/messages.dto';
import { MessagesService } from '../messages/messages.service';
import { ReceiptsService } from '../messages/receipts.service';

class ReceiptDto {
  @IsUUID() messageId!: string;
}

class SyncDto {
  @IsUUID() conversationId!: string;
  @IsInt() @Min(0) afterSeq!: number;
}

type Ack<T> = ({ ok: true } & T) | { ok: false; error: string };

interface SocketData {
  user: AuthenticatedUser;
}

type AuthedSocket = Socket<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>;

async function parse<T extends object>(type: new () => T, body: unknown): Promise<T> {
  const value = plainToInstance(type, body ?? {});
  const errors = await validate(value, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new Error(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '));
  }
  return value;
}

function failure(error: unknown): { ok: false; error: string } {
  return { ok: false, error: error instanceof Error ? error.message : String(error) };
}

/**
 * The default namespace: a socket authenticates with its access token in the handshake
 * (checked again on every reconnect, cut when the token expires), joins its user's room,
 * and sends, acknowledges and syncs through the same checks as REST.
 */
@WebSocketGateway()
export class MessagingGateway implements OnGatewayInit, OnApplicationShutdown {
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

  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: AuthedSocket, @MessageBody() body: unknown): Promise<Ack<{ message: Message }>> {
    try {
      const input = await parse(SendMessageDto, body);
      const outcome = await this.sender.send(socket.data.user.id, input);
      return { ok: true, message: outcome.message };
    } catch (error) {
      return failure(error);
    }
  }

  @SubscribeMessage('message:delivered')
  delivered(@ConnectedSocket() socket: AuthedSocket, @MessageBody() body: unknown): Promise<Ack<object>> {
    return this.receipt(socket, body, 'delivered');
  }

  @SubscribeMessage('message:read')
  read(@ConnectedSocket() socket: AuthedSocket, @MessageBody() body: unknown): Promise<Ack<object>> {
    return this.receipt(socket, body, 'read');
  }

  @SubscribeMessage('sync')
  async sync(@ConnectedSocket() socket: AuthedSocket, @MessageBody() body: unknown): Promise<Ack<{ messages: Message[] }>> {
    try {
      const input = await parse(SyncDto, body);
      const messages = await this.messages.listAfter(socket.data.user.id, input.conversationId, input.afterSeq, MESSAGES_PAGE_MAX);
      return { ok: true, messages };
    } catch (error) {
      return failure(error);
    }
  }

  private async receipt(socket: AuthedSocket, body: unknown, status: 'delivered' | 'read'): Promise<Ack<object>> {
    try {
      const { messageId } = await parse(ReceiptDto, body);
      await this.receipts.record(socket.data.user.id, messageId, status);
      return { ok: true };
    } catch (error) {
      return failure(error);
    }
  }

  private async authenticate(socket: AuthedSocket): Promise<void> {
    const token: unknown = socket.handshake.auth?.['token'];
    // The console's own pages have no token in script, only the HttpOnly session cookie
    // (same origin; the Origin allow-list keeps other sites out).
    const session = await this.sessions.resolve(
      typeof token === 'string' && token ? token : readCookie(socket.handshake.headers.cookie, SESSION_COOKIE),
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
