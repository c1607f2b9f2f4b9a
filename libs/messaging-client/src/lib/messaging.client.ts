import type {
  AddParticipantRequest,
  AppNotification,
  Conversation,
  ConversationExport,
  ConversationSummary,
  CreateConversationRequest,
  Delivery,
  EditMessageRequest,
  HealthResponse,
  ListMessagesQuery,
  ListNotificationsQuery,
  LoginRequest,
  LoginResponse,
  Message,
  MessagesPage,
  NotificationPreferences,
  PublicUser,
  PushSubscriptionRequest,
  SearchMessagesQuery,
  SearchResults,
  SendMessageRequest,
  SendMessageResponse,
  User,
} from '@mq/messaging-contracts';
import { type ApiResponse, type FetchFunction, HttpTransport, seg } from './http.transport';
import { OperatorClient } from './operator.client';
import { AdminRealtimeConnection, RealtimeConnection } from './realtime.connection';
import type { ConnectionContext, RealtimeOptions } from './socket.connection';

export interface MessagingClientOptions {
  /** The api's origin (and optional path prefix), e.g. `http://localhost:3333`. */
  baseUrl: string;
  /** A token obtained earlier; `login()` sets one too. */
  token?: string | null;
  /** Defaults to the global `fetch` (Node 20, browsers). */
  fetch?: FetchFunction;
  /** Per request, headers and body included. Default 15 s. */
  timeoutMs?: number;
  /** `include` for a browser page on another origin that relies on the console cookie. */
  credentials?: RequestCredentials;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Typed REST client for the api (its OpenAPI document: apps/api/openapi.json) as a user uses it, and the
 * entry point to its socket.io side; the operator calls are on `operator` (OperatorClient).
 */
export class MessagingClient {
  readonly baseUrl: string;
  private readonly http: HttpTransport;
  private readonly credentials: RequestCredentials | undefined;
  private currentToken: string | null;
  private signedInUser: PublicUser | null = null;

  /** The operator and admin calls (queues, jobs, dead letters, broadcasts, users, audit), on this client's session. */
  readonly operator: OperatorClient;

  constructor(options: MessagingClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.currentToken = options.token ?? null;
    this.credentials = options.credentials;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new Error('MessagingClient needs fetch (Node 20+ or a browser), or a `fetch` option');
    this.http = new HttpTransport({
      baseUrl: this.baseUrl,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // Called unbound: a browser's fetch throws "Illegal invocation" when `this` is another object.
      fetch: (input, init) => fetchImpl(input, init),
      getToken: () => this.currentToken,
      credentials: options.credentials,
    });
    this.operator = new OperatorClient(this.http);
  }

  /** The bearer token sent with every call and in the socket handshake. */
  get token(): string | null {
    return this.currentToken;
  }

  /** Replaces the token (e.g. renewed); open sockets use it on their next reconnect. */
  setToken(token: string | null): void {
    this.currentToken = token;
    if (token === null) this.signedInUser = null;
  }

  /** Who `login()` signed in as; null before, after `logout()` or `setToken(null)`. */
  get user(): PublicUser | null {
    return this.signedInUser;
  }

  // ---- socket.io ---------------------------------------------------------------------------

  /** Opens the default namespace with `auth: { token }`; register handlers, then `await conn.ready()`. */
  connect(options: RealtimeOptions = {}): RealtimeConnection {
    return new RealtimeConnection(this.connectionContext(), options);
  }

  /** Opens the `/admin` namespace (admin token): `queue:metrics`, `job:failed`, `alert`. */
  connectAdmin(options: Omit<RealtimeOptions, 'autoAckDelivered' | 'userId'> = {}): AdminRealtimeConnection {
    return new AdminRealtimeConnection(this.connectionContext(), options);
  }

  // ---- auth --------------------------------------------------------------------------------

  /** `POST /auth/login`; keeps the token for every later call. */
  async login(credentials: LoginRequest): Promise<LoginResponse> {
    const answer = await this.http.body<LoginResponse>({ method: 'POST', path: '/auth/login', body: credentials });
    this.currentToken = answer.accessToken;
    this.signedInUser = answer.user;
    return answer;
  }

  /** `POST /auth/logout`; forgets the token even if the call fails. */
  async logout(): Promise<void> {
    try {
      await this.http.send({ method: 'POST', path: '/auth/logout' });
    } finally {
      this.setToken(null);
    }
  }

  /** `GET /me` */
  me(): Promise<User> {
    return this.http.body({ method: 'GET', path: '/me' });
  }

  // ---- conversations and messages ---------------------------------------------------------

  /** `POST /conversations`: 201 when created, 200 for an existing direct conversation. */
  createConversation(request: CreateConversationRequest): Promise<ApiResponse<Conversation>> {
    return this.http.request({ method: 'POST', path: '/conversations', body: request });
  }

  /** `GET /conversations` */
  listConversations(): Promise<ConversationSummary[]> {
    return this.http.body({ method: 'GET', path: '/conversations' });
  }

  /** `GET /conversations/:id/messages?afterSeq=&limit=`, ascending by `seq`. */
  listMessages(conversationId: string, query: ListMessagesQuery = {}): Promise<MessagesPage> {
    return this.http.body({
      method: 'GET',
      path: `/conversations/${seg(conversationId)}/messages`,
      query: { afterSeq: query.afterSeq, limit: query.limit },
    });
  }

  /** `GET /conversations/:id/export`: every message (up to the export's limit), recorded in the access ledger. */
  exportConversation(conversationId: string): Promise<ConversationExport> {
    return this.http.body({ method: 'GET', path: `/conversations/${seg(conversationId)}/export` });
  }

  /** `POST /messages`: 202 when accepted; a repeated `clientMessageId` answers 200 or 202 with the same message. */
  sendMessage(request: SendMessageRequest): Promise<ApiResponse<SendMessageResponse>> {
    return this.http.request({ method: 'POST', path: '/messages', body: request });
  }

  /** `PATCH /messages/:id` (sender only) */
  editMessage(messageId: string, request: EditMessageRequest): Promise<Message> {
    return this.http.body({ method: 'PATCH', path: `/messages/${seg(messageId)}`, body: request });
  }

  /** `DELETE /messages/:id` (sender or admin) -> 204 */
  deleteMessage(messageId: string): Promise<void> {
    return this.http.send({ method: 'DELETE', path: `/messages/${seg(messageId)}` });
  }

  /** `POST /messages/:id/delivered` (recipient only) -> 204 */
  markDelivered(messageId: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/messages/${seg(messageId)}/delivered` });
  }

  /** `POST /messages/:id/read` (recipient only) -> 204 */
  markRead(messageId: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/messages/${seg(messageId)}/read` });
  }

  /** `GET /messages/:id/deliveries` (sender or admin) */
  listDeliveries(messageId: string): Promise<Delivery[]> {
    return this.http.body({ method: 'GET', path: `/messages/${seg(messageId)}/deliveries` });
  }

  /** `GET /messages/search?q=&conversationId=` */
  searchMessages(query: SearchMessagesQuery): Promise<SearchResults> {
    return this.http.body({
      method: 'GET',
      path: '/messages/search',
      query: { q: query.q, conversationId: query.conversationId },
    });
  }

  // ---- the user's own settings and group membership ---------------------------------------

  /** `POST /conversations/:id/participants` -> 201; 409 if already in. */
  addParticipant(conversationId: string, request: AddParticipantRequest): Promise<void> {
    return this.http.send({ method: 'POST', path: `/conversations/${seg(conversationId)}/participants`, body: request });
  }

  /** `DELETE /conversations/:id/participants/:userId` (self, or admin) -> 204 */
  removeParticipant(conversationId: string, userId: string): Promise<void> {
    return this.http.send({ method: 'DELETE', path: `/conversations/${seg(conversationId)}/participants/${seg(userId)}` });
  }

  /** `GET /me/notification-preferences` */
  getNotificationPreferences(): Promise<NotificationPreferences> {
    return this.http.body({ method: 'GET', path: '/me/notification-preferences' });
  }

  /** `PUT /me/notification-preferences`: 400 for an unknown time zone or a malformed time. */
  updateNotificationPreferences(preferences: NotificationPreferences): Promise<NotificationPreferences> {
    return this.http.body({ method: 'PUT', path: '/me/notification-preferences', body: preferences });
  }

  /** `GET /me/notifications?unread=&limit=` */
  listNotifications(query: ListNotificationsQuery = {}): Promise<AppNotification[]> {
    return this.http.body({ method: 'GET', path: '/me/notifications', query: { unread: query.unread, limit: query.limit } });
  }

  /** `POST /me/notifications/:id/read` -> 204 */
  markNotificationRead(notificationId: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/me/notifications/${seg(notificationId)}/read` });
  }

  /** `POST /me/push-subscriptions` -> 201 */
  addPushSubscription(subscription: PushSubscriptionRequest): Promise<void> {
    return this.http.send({ method: 'POST', path: '/me/push-subscriptions', body: subscription });
  }

  // ---- health (no auth) -------------------------------------------------------------------

  /** `GET /health`: 200; a 503 throws an `ApiError` whose `body` names the failing check. */
  health(): Promise<HealthResponse> {
    return this.http.body({ method: 'GET', path: '/health' });
  }

  private connectionContext(): ConnectionContext {
    return {
      baseUrl: this.baseUrl,
      getToken: () => this.currentToken,
      userId: this.signedInUser?.id ?? null,
      withCredentials: this.credentials === 'include',
    };
  }
}
