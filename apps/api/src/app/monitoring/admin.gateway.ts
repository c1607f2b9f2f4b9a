import { userRoom } from '@mq/messaging';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { AdminServerToClientEvents } from '@mq/messaging-contracts';
import { ADMIN_NAMESPACE, SOCKET_EVENTS } from '@mq/messaging-contracts';
import { MetricsService } from '@mq/observability';
import { MessageQueueService } from '@mq/queue';
import { SESSION_COOKIE } from '../auth/auth.types';
import { readCookie } from '../auth/cookies';
import { SessionResolver } from '../auth/session.resolver';

/** The contract promises `queue:metrics` at least this often. */
export const QUEUE_METRICS_PUSH_MS = 2_000;

type AdminNamespace = Namespace<Record<string, never>, AdminServerToClientEvents>;
type AdminSocket = Socket<Record<string, never>, AdminServerToClientEvents>;

/**
 * The `/admin` namespace: admins only (the same session check as the default namespace, plus
 * the role), cut when the session's token expires. Each api instance pushes `queue:metrics` to its own
 * admins (a local emit, so N instances do not send N copies) every 2 s while it has any.
 * `alert` and `job:failed` come from the worker through the Redis emitter.
 */
@WebSocketGateway({ namespace: ADMIN_NAMESPACE })
export class AdminGateway implements OnGatewayInit<AdminNamespace>, OnGatewayConnection<AdminSocket>, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger(AdminGateway.name);
  private namespace?: AdminNamespace;
  private timer?: NodeJS.Timeout;
  private pushing = false;

  constructor(
    private readonly sessions: SessionResolver,
    private readonly producer: MessageQueueService,
    private readonly metrics: MetricsService,
  ) {}

  afterInit(namespace: AdminNamespace): void {
    this.namespace = namespace;
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => next(new Error(error instanceof Error ? error.message : 'unauthorized')),
      );
    });
    // The socket gauge is fed from here: this is where the server (both namespaces) is at hand.
    const sockets = namespace.server.of('/').sockets;
    this.metrics.countSocketsWith(() => ({ '/': sockets.size, [ADMIN_NAMESPACE]: namespace.sockets.size }));
  }

  handleConnection(socket: AdminSocket): void {
    // A dashboard fills at once instead of after the first interval.
    this.producer.getQueueMetrics().then(
      (metrics) => socket.emit(SOCKET_EVENTS.QUEUE_METRICS, metrics),
      (error: unknown) => this.logger.warn({ err: String(error) }, 'queue metrics unavailable'),
    );
    if (!this.timer) {
      this.timer = setInterval(() => void this.push(), QUEUE_METRICS_PUSH_MS);
      this.timer.unref();
    }
  }

  handleDisconnect(): void {
    if (this.namespace?.sockets.size === 0) this.stopPushing();
  }

  onApplicationShutdown(): void {
    this.stopPushing();
    this.namespace?.disconnectSockets(true);
  }

  private async push(): Promise<void> {
    const namespace = this.namespace;
    if (!namespace || namespace.sockets.size === 0) return this.stopPushing();
    // A slow Redis must not stack up reads: skip a beat instead.
    if (this.pushing) return;
    this.pushing = true;
    try {
      namespace.local.emit(SOCKET_EVENTS.QUEUE_METRICS, await this.producer.getQueueMetrics());
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'queue metrics unavailable');
    } finally {
      this.pushing = false;
    }
  }

  private stopPushing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async authenticate(socket: AdminSocket): Promise<void> {
    // As on the default namespace: a token, or the console's HttpOnly session cookie (same
    // origin; the Origin allow-list keeps other sites out).
    const token: unknown = socket.handshake.auth?.['token'];
    const session = await this.sessions.resolveHandshake(
      typeof token === 'string' && token ? token : readCookie(socket.handshake.headers.cookie, SESSION_COOKIE),
      socket.handshake.address,
    );
    if (session.user.role !== 'admin') throw new Error('This needs the admin role');
    // Its user's room, so that ending the user's sessions cuts this socket too.
    await socket.join(userRoom(session.user.id));
    // An expired token must not keep a live socket (the client reconnects with a new one).
    const remaining = session.expiresAt - Date.now();
    const timer = setTimeout(() => socket.disconnect(true), Math.max(0, Math.min(remaining, 2_147_483_647)));
    socket.once('disconnect', () => clearTimeout(timer));
  }
}
