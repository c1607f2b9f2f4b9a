import type {
  AddParticipantRequest,
  Alert,
  AppNotification,
  AuditEntry,
  Batch,
  BroadcastRequest,
  BroadcastResponse,
  CleanQueueRequest,
  CleanQueueResponse,
  Conversation,
  ConversationSummary,
  CreateConversationRequest,
  CreateUserRequest,
  CursorQuery,
  DeadLetter,
  Delivery,
  DryRunResponse,
  EditMessageRequest,
  EncryptionRotationResponse,
  FailedDeliveriesPage,
  HealthResponse,
  JobDetail,
  JobSearchResults,
  JobsPage,
  ListAlertsQuery,
  ListMessagesQuery,
  ListNotificationsQuery,
  ListQueueJobsQuery,
  LoginRequest,
  LoginResponse,
  Message,
  MessagesPage,
  MessageTimeline,
  MetricsHistory,
  MetricsHistoryQuery,
  NotificationPreferences,
  PromoteJobsResponse,
  PublicUser,
  PushSubscriptionRequest,
  QueueHealthReport,
  QueueMetrics,
  RetryFailedResponse,
  SearchMessagesQuery,
  SearchResults,
  SendMessageRequest,
  SendMessageResponse,
  UpdateUserRequest,
  User,
} from '@mq/messaging-contracts';
import { type ApiResponse, type FetchFunction, HttpTransport, type HttpRequest } from './http.transport';
import { AdminRealtimeConnection, type ConnectionContext, type RealtimeOptions, RealtimeConnection } from './realtime.connection';

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

/** Bulk queue calls may be dry runs: then they answer 200 `{dryRun, matched}` and change nothing. */
export interface DryRunOption {
  dryRun?: boolean;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Typed REST client for the api (CONTRACT.md), and the entry point to its socket.io side. */
export class MessagingClient {
  readonly baseUrl: string;
  private readonly http: HttpTransport;
  private readonly credentials: RequestCredentials | undefined;
  private currentToken: string | null;
  private signedInUser: PublicUser | null = null;

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
    const answer = await this.body<LoginResponse>({ method: 'POST', path: '/auth/login', body: credentials });
    this.currentToken = answer.accessToken;
    this.signedInUser = answer.user;
    return answer;
  }

  /** `POST /auth/logout`; forgets the token even if the call fails. */
  async logout(): Promise<void> {
    try {
      await this.send({ method: 'POST', path: '/auth/logout' });
    } finally {
      this.setToken(null);
    }
  }

  /** `GET /me` */
  me(): Promise<User> {
    return this.body({ method: 'GET', path: '/me' });
  }

  /** `POST /users` (admin) -> 201; 409 if the email exists. */
  createUser(request: CreateUserRequest): Promise<User> {
    return this.body({ method: 'POST', path: '/users', body: request });
  }

  /** `PATCH /users/:id` (admin) */
  updateUser(userId: string, request: UpdateUserRequest): Promise<User> {
    return this.body({ method: 'PATCH', path: `/users/${seg(userId)}`, body: request });
  }

  // ---- conversations and messages ---------------------------------------------------------

  /** `POST /conversations`: 201 when created, 200 for an existing direct conversation. */
  createConversation(request: CreateConversationRequest): Promise<ApiResponse<Conversation>> {
    return this.http.request({ method: 'POST', path: '/conversations', body: request });
  }

  /** `GET /conversations` */
  listConversations(): Promise<ConversationSummary[]> {
    return this.body({ method: 'GET', path: '/conversations' });
  }

  /** `GET /conversations/:id/messages?afterSeq=&limit=`, ascending by `seq`. */
  listMessages(conversationId: string, query: ListMessagesQuery = {}): Promise<MessagesPage> {
    return this.body({
      method: 'GET',
      path: `/conversations/${seg(conversationId)}/messages`,
      query: { afterSeq: query.afterSeq, limit: query.limit },
    });
  }

  /** `POST /messages`: 202 when accepted; a repeated `clientMessageId` answers 200 or 202 with the same message. */
  sendMessage(request: SendMessageRequest): Promise<ApiResponse<SendMessageResponse>> {
    return this.http.request({ method: 'POST', path: '/messages', body: request });
  }

  /** `PATCH /messages/:id` (sender only) */
  editMessage(messageId: string, request: EditMessageRequest): Promise<Message> {
    return this.body({ method: 'PATCH', path: `/messages/${seg(messageId)}`, body: request });
  }

  /** `DELETE /messages/:id` (sender or admin) -> 204 */
  deleteMessage(messageId: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/messages/${seg(messageId)}` });
  }

  /** `POST /messages/:id/delivered` (recipient only) -> 204 */
  markDelivered(messageId: string): Promise<void> {
    return this.send({ method: 'POST', path: `/messages/${seg(messageId)}/delivered` });
  }

  /** `POST /messages/:id/read` (recipient only) -> 204 */
  markRead(messageId: string): Promise<void> {
    return this.send({ method: 'POST', path: `/messages/${seg(messageId)}/read` });
  }

  /** `GET /messages/:id/deliveries` (sender or admin) */
  listDeliveries(messageId: string): Promise<Delivery[]> {
    return this.body({ method: 'GET', path: `/messages/${seg(messageId)}/deliveries` });
  }

  /** `GET /messages/search?q=&conversationId=` */
  searchMessages(query: SearchMessagesQuery): Promise<SearchResults> {
    return this.body({
      method: 'GET',
      path: '/messages/search',
      query: { q: query.q, conversationId: query.conversationId },
    });
  }

  // ---- the user's own settings and group membership ---------------------------------------

  /** `POST /conversations/:id/participants` -> 201; 409 if already in. */
  addParticipant(conversationId: string, request: AddParticipantRequest): Promise<void> {
    return this.send({ method: 'POST', path: `/conversations/${seg(conversationId)}/participants`, body: request });
  }

  /** `DELETE /conversations/:id/participants/:userId` (self, or admin) -> 204 */
  removeParticipant(conversationId: string, userId: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/conversations/${seg(conversationId)}/participants/${seg(userId)}` });
  }

  /** `GET /me/notification-preferences` */
  getNotificationPreferences(): Promise<NotificationPreferences> {
    return this.body({ method: 'GET', path: '/me/notification-preferences' });
  }

  /** `PUT /me/notification-preferences`: 400 for an unknown time zone or a malformed time. */
  updateNotificationPreferences(preferences: NotificationPreferences): Promise<NotificationPreferences> {
    return this.body({ method: 'PUT', path: '/me/notification-preferences', body: preferences });
  }

  /** `GET /me/notifications?unread=&limit=` */
  listNotifications(query: ListNotificationsQuery = {}): Promise<AppNotification[]> {
    return this.body({ method: 'GET', path: '/me/notifications', query: { unread: query.unread, limit: query.limit } });
  }

  /** `POST /me/notifications/:id/read` -> 204 */
  markNotificationRead(notificationId: string): Promise<void> {
    return this.send({ method: 'POST', path: `/me/notifications/${seg(notificationId)}/read` });
  }

  /** `POST /me/push-subscriptions` -> 201 */
  addPushSubscription(subscription: PushSubscriptionRequest): Promise<void> {
    return this.send({ method: 'POST', path: '/me/push-subscriptions', body: subscription });
  }

  // ---- operators (admin role) -------------------------------------------------------------

  /** `GET /messages/jobs/:jobId` (any queue; job ids are globally unique). */
  getJob(jobId: string): Promise<JobDetail> {
    return this.body({ method: 'GET', path: `/messages/jobs/${seg(jobId)}` });
  }

  /** `POST /messages/jobs/:jobId/retry` -> 202; 409 when the job is not failed. */
  retryJob(jobId: string): Promise<void> {
    return this.send({ method: 'POST', path: `/messages/jobs/${seg(jobId)}/retry` });
  }

  /** `GET /messages/queue/metrics` (the seeds' path). */
  getMessagesQueueMetrics(): Promise<QueueMetrics> {
    return this.body({ method: 'GET', path: '/messages/queue/metrics' });
  }

  /** `GET /queue/metrics` */
  getQueueMetrics(): Promise<QueueMetrics> {
    return this.body({ method: 'GET', path: '/queue/metrics' });
  }

  /** `GET /queue/health` */
  getQueueHealth(): Promise<QueueHealthReport> {
    return this.body({ method: 'GET', path: '/queue/health' });
  }

  /** `POST /queue/:name/pause`; 404 for an unknown queue. */
  pauseQueue(queue: string): Promise<void> {
    return this.send({ method: 'POST', path: `/queue/${seg(queue)}/pause` });
  }

  /** `POST /queue/:name/resume`; 404 for an unknown queue. */
  resumeQueue(queue: string): Promise<void> {
    return this.send({ method: 'POST', path: `/queue/${seg(queue)}/resume` });
  }

  /** `POST /queue/:name/retry-failed` -> 202 `{retried}`, or 200 `{dryRun, matched}`. */
  retryFailedJobs(queue: string, options: { dryRun: true }): Promise<ApiResponse<DryRunResponse>>;
  retryFailedJobs(queue: string, options?: { dryRun?: false }): Promise<ApiResponse<RetryFailedResponse>>;
  retryFailedJobs(queue: string, options?: DryRunOption): Promise<ApiResponse<RetryFailedResponse | DryRunResponse>>;
  retryFailedJobs(queue: string, options: DryRunOption = {}): Promise<ApiResponse<RetryFailedResponse | DryRunResponse>> {
    return this.http.request({ method: 'POST', path: `/queue/${seg(queue)}/retry-failed`, body: dryRunBody(options) });
  }

  /** `POST /queue/:name/clean` -> 200 `{removed}`, or `{dryRun, matched}`. */
  cleanQueue(queue: string, request: CleanQueueRequest & { dryRun: true }): Promise<ApiResponse<DryRunResponse>>;
  cleanQueue(queue: string, request: CleanQueueRequest & { dryRun?: false }): Promise<ApiResponse<CleanQueueResponse>>;
  cleanQueue(queue: string, request: CleanQueueRequest): Promise<ApiResponse<CleanQueueResponse | DryRunResponse>>;
  cleanQueue(queue: string, request: CleanQueueRequest): Promise<ApiResponse<CleanQueueResponse | DryRunResponse>> {
    return this.http.request({ method: 'POST', path: `/queue/${seg(queue)}/clean`, body: request });
  }

  /** `POST /queue/:name/promote` -> 202 `{promoted}` (delayed jobs run now), or 200 `{dryRun, matched}`. */
  promoteDelayedJobs(queue: string, options: { dryRun: true }): Promise<ApiResponse<DryRunResponse>>;
  promoteDelayedJobs(queue: string, options?: { dryRun?: false }): Promise<ApiResponse<PromoteJobsResponse>>;
  promoteDelayedJobs(queue: string, options?: DryRunOption): Promise<ApiResponse<PromoteJobsResponse | DryRunResponse>>;
  promoteDelayedJobs(queue: string, options: DryRunOption = {}): Promise<ApiResponse<PromoteJobsResponse | DryRunResponse>> {
    return this.http.request({ method: 'POST', path: `/queue/${seg(queue)}/promote`, body: dryRunBody(options) });
  }

  /** `GET /queue/:name/jobs?state=&start=&end=` */
  listQueueJobs(queue: string, query: ListQueueJobsQuery): Promise<JobsPage> {
    return this.body({
      method: 'GET',
      path: `/queue/${seg(queue)}/jobs`,
      query: { state: query.state, start: query.start, end: query.end },
    });
  }

  /** `GET /queue/metrics/history?minutes=` */
  getMetricsHistory(query: MetricsHistoryQuery = {}): Promise<MetricsHistory> {
    return this.body({ method: 'GET', path: '/queue/metrics/history', query: { minutes: query.minutes } });
  }

  /** `GET /deliveries/failed?limit=&cursor=` */
  listFailedDeliveries(query: CursorQuery = {}): Promise<FailedDeliveriesPage> {
    return this.body({ method: 'GET', path: '/deliveries/failed', query: { limit: query.limit, cursor: query.cursor } });
  }

  /** `GET /dead-letters` */
  listDeadLetters(query: CursorQuery = {}): Promise<DeadLetter[]> {
    return this.body({ method: 'GET', path: '/dead-letters', query: { limit: query.limit, cursor: query.cursor } });
  }

  /** `POST /dead-letters/:id/replay` */
  replayDeadLetter(deadLetterId: string): Promise<void> {
    return this.send({ method: 'POST', path: `/dead-letters/${seg(deadLetterId)}/replay` });
  }

  /** `DELETE /dead-letters/:id` (discard) */
  discardDeadLetter(deadLetterId: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/dead-letters/${seg(deadLetterId)}` });
  }

  /** `POST /messages/broadcast` -> 202 `{batchId, jobId}`; follow it with `getBatch`. */
  broadcast(request: BroadcastRequest): Promise<BroadcastResponse> {
    return this.body({ method: 'POST', path: '/messages/broadcast', body: request });
  }

  /** `GET /messages/batches/:id` */
  getBatch(batchId: string): Promise<Batch> {
    return this.body({ method: 'GET', path: `/messages/batches/${seg(batchId)}` });
  }

  /** `POST /messages/batches/:id/pause` */
  pauseBatch(batchId: string): Promise<Batch> {
    return this.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/pause` });
  }

  /** `POST /messages/batches/:id/resume` */
  resumeBatch(batchId: string): Promise<Batch> {
    return this.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/resume` });
  }

  /** `POST /messages/batches/:id/cancel` */
  cancelBatch(batchId: string): Promise<Batch> {
    return this.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/cancel` });
  }

  /** `GET /alerts?state=` */
  listAlerts(query: ListAlertsQuery = {}): Promise<Alert[]> {
    return this.body({ method: 'GET', path: '/alerts', query: { state: query.state } });
  }

  /** `POST /admin/encryption/rotate` -> 202 `{jobId}`; progress through `getJob`. */
  rotateEncryptionKeys(): Promise<EncryptionRotationResponse> {
    return this.body({ method: 'POST', path: '/admin/encryption/rotate' });
  }

  /** `GET /audit?limit=&cursor=` */
  listAuditEntries(query: CursorQuery = {}): Promise<AuditEntry[]> {
    return this.body({ method: 'GET', path: '/audit', query: { limit: query.limit, cursor: query.cursor } });
  }

  /** `GET /messages/:id/timeline` */
  getMessageTimeline(messageId: string): Promise<MessageTimeline> {
    return this.body({ method: 'GET', path: `/messages/${seg(messageId)}/timeline` });
  }

  /** `GET /jobs/search?q=` */
  searchJobs(q: string): Promise<JobSearchResults> {
    return this.body({ method: 'GET', path: '/jobs/search', query: { q } });
  }

  // ---- health (no auth) -------------------------------------------------------------------

  /** `GET /health`: 200; a 503 throws an `ApiError` whose `body` names the failing check. */
  health(): Promise<HealthResponse> {
    return this.body({ method: 'GET', path: '/health' });
  }

  private connectionContext(): ConnectionContext {
    return {
      baseUrl: this.baseUrl,
      getToken: () => this.currentToken,
      userId: this.signedInUser?.id ?? null,
      withCredentials: this.credentials === 'include',
    };
  }

  private async body<T>(request: HttpRequest): Promise<T> {
    return (await this.http.request<T>(request)).body;
  }

  private async send(request: HttpRequest): Promise<void> {
    await this.http.request<unknown>(request);
  }
}

/** Ids are UUIDs, but job ids carry `:` and queue names come from users: always encode. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Only send `dryRun` when asked: an empty body keeps the non-dry-run call exactly as documented. */
function dryRunBody(options: DryRunOption): { dryRun: true } | undefined {
  return options.dryRun ? { dryRun: true } : undefined;
}
