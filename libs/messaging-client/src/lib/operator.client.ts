import type {
  Alert,
  LedgerAccessPage,
  LedgerVerifyResult,
  AuditEntry,
  Batch,
  BatchDetail,
  BroadcastRequest,
  BroadcastResponse,
  CleanQueueRequest,
  CleanQueueResponse,
  CreateUserRequest,
  CursorQuery,
  DeadLetter,
  DeadLetterDiscardResponse,
  DeadLetterGroup,
  DeadLetterGroupReplayResponse,
  DeadLetterListQuery,
  DeadLetterRestoreResponse,
  DryRunResponse,
  EncryptionRotationResponse,
  FailedDeliveriesPage,
  FailedDeliveriesQuery,
  JobDetail,
  JobHistory,
  JobSearchResults,
  JobsPage,
  ListAlertsQuery,
  ListQueueJobsQuery,
  MessageTimeline,
  MetricsHistory,
  MetricsHistoryQuery,
  PromoteJobsResponse,
  QueueHealthReport,
  QueueMetrics,
  RetryFailedResponse,
  UpdateUserRequest,
  User,
} from '@mq/messaging-contracts';
import { type ApiResponse, HttpTransport, seg } from './http.transport';

/** Bulk queue calls may be dry runs: then they answer 200 `{dryRun, matched}` and change nothing. */
export interface DryRunOption {
  dryRun?: boolean;
}

/**
 * The operator and admin calls of the api: users, queues and jobs, failed deliveries, dead
 * letters, broadcasts, alerts, keys, audit and job history. Reached as `client.operator` of a
 * MessagingClient signed in with the admin role, on the same session.
 */
export class OperatorClient {
  constructor(private readonly http: HttpTransport) {}
  /** `POST /users` (admin) -> 201; 409 if the email exists. */
  createUser(request: CreateUserRequest): Promise<User> {
    return this.http.body({ method: 'POST', path: '/users', body: request });
  }

  /** `PATCH /users/:id` (admin) */
  updateUser(userId: string, request: UpdateUserRequest): Promise<User> {
    return this.http.body({ method: 'PATCH', path: `/users/${seg(userId)}`, body: request });
  }

  /** `GET /messages/jobs/:jobId` (any queue; job ids are globally unique). */
  getJob(jobId: string): Promise<JobDetail> {
    return this.http.body({ method: 'GET', path: `/messages/jobs/${seg(jobId)}` });
  }

  /** `GET /jobs/:jobId/history`: every attempt (start, end, worker, error, stack), kept after Bull drops the job. */
  getJobHistory(jobId: string): Promise<JobHistory> {
    return this.http.body({ method: 'GET', path: `/jobs/${seg(jobId)}/history` });
  }

  /** `POST /messages/jobs/:jobId/retry` -> 202; 409 when the job is not failed. */
  retryJob(jobId: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/messages/jobs/${seg(jobId)}/retry` });
  }

  /** `GET /messages/queue/metrics` (the seeds' path). */
  getMessagesQueueMetrics(): Promise<QueueMetrics> {
    return this.http.body({ method: 'GET', path: '/messages/queue/metrics' });
  }

  /** `GET /queue/metrics` */
  getQueueMetrics(): Promise<QueueMetrics> {
    return this.http.body({ method: 'GET', path: '/queue/metrics' });
  }

  /** `GET /queue/health` */
  getQueueHealth(): Promise<QueueHealthReport> {
    return this.http.body({ method: 'GET', path: '/queue/health' });
  }

  /** `POST /queue/:name/pause`; 404 for an unknown queue. */
  pauseQueue(queue: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/queue/${seg(queue)}/pause` });
  }

  /** `POST /queue/:name/resume`; 404 for an unknown queue. */
  resumeQueue(queue: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/queue/${seg(queue)}/resume` });
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
    return this.http.body({
      method: 'GET',
      path: `/queue/${seg(queue)}/jobs`,
      query: { state: query.state, start: query.start, end: query.end },
    });
  }

  /** `GET /queue/metrics/history?minutes=` */
  getMetricsHistory(query: MetricsHistoryQuery = {}): Promise<MetricsHistory> {
    return this.http.body({ method: 'GET', path: '/queue/metrics/history', query: { minutes: query.minutes } });
  }

  /** `GET /deliveries/failed?limit=&cursor=&batchId=&queue=&reason=&from=&to=` */
  listFailedDeliveries(query: FailedDeliveriesQuery = {}): Promise<FailedDeliveriesPage> {
    const { limit, cursor, batchId, queue, reason, from, to } = query;
    return this.http.body({ method: 'GET', path: '/deliveries/failed', query: { limit, cursor, batchId, queue, reason, from, to } });
  }

  /** `GET /dead-letters?limit=&cursor=&fingerprint=` */
  listDeadLetters(query: DeadLetterListQuery = {}): Promise<DeadLetter[]> {
    return this.http.body({ method: 'GET', path: '/dead-letters', query: { limit: query.limit, cursor: query.cursor, fingerprint: query.fingerprint } });
  }

  /** `GET /dead-letters/groups`: live dead letters by cause. */
  listDeadLetterGroups(): Promise<DeadLetterGroup[]> {
    return this.http.body({ method: 'GET', path: '/dead-letters/groups' });
  }

  /** `POST /dead-letters/groups/:fingerprint/replay` -> 202 `{replayed}`, or 200 `{dryRun, matched}`. */
  replayDeadLetterGroup(fingerprint: string, options: { dryRun: true }): Promise<ApiResponse<DryRunResponse>>;
  replayDeadLetterGroup(fingerprint: string, options?: { dryRun?: false }): Promise<ApiResponse<DeadLetterGroupReplayResponse>>;
  replayDeadLetterGroup(fingerprint: string, options: DryRunOption = {}): Promise<ApiResponse<DeadLetterGroupReplayResponse | DryRunResponse>> {
    return this.http.request({ method: 'POST', path: `/dead-letters/groups/${seg(fingerprint)}/replay`, body: dryRunBody(options) });
  }

  /** `POST /dead-letters/groups/:fingerprint/discard` -> 200 `{discarded, discardId, undoUntil}`, or `{dryRun, matched}`. */
  discardDeadLetterGroup(fingerprint: string, options: { dryRun: true }): Promise<ApiResponse<DryRunResponse>>;
  discardDeadLetterGroup(fingerprint: string, options?: { dryRun?: false }): Promise<ApiResponse<DeadLetterDiscardResponse>>;
  discardDeadLetterGroup(fingerprint: string, options: DryRunOption = {}): Promise<ApiResponse<DeadLetterDiscardResponse | DryRunResponse>> {
    return this.http.request({ method: 'POST', path: `/dead-letters/groups/${seg(fingerprint)}/discard`, body: dryRunBody(options) });
  }

  /** `POST /dead-letters/discards/:discardId/restore`: undo a discard within its window. */
  restoreDeadLetters(discardId: string): Promise<DeadLetterRestoreResponse> {
    return this.http.body({ method: 'POST', path: `/dead-letters/discards/${seg(discardId)}/restore` });
  }

  /** `POST /dead-letters/:id/replay` */
  replayDeadLetter(deadLetterId: string): Promise<void> {
    return this.http.send({ method: 'POST', path: `/dead-letters/${seg(deadLetterId)}/replay` });
  }

  /** `DELETE /dead-letters/:id` (discard) */
  discardDeadLetter(deadLetterId: string): Promise<void> {
    return this.http.send({ method: 'DELETE', path: `/dead-letters/${seg(deadLetterId)}` });
  }

  /** `POST /messages/broadcast` -> 202 `{batchId, jobId}`; follow it with `getBatch`. */
  broadcast(request: BroadcastRequest): Promise<BroadcastResponse> {
    return this.http.body({ method: 'POST', path: '/messages/broadcast', body: request });
  }

  /** `GET /messages/batches/:id` */
  getBatch(batchId: string): Promise<Batch> {
    return this.http.body({ method: 'GET', path: `/messages/batches/${seg(batchId)}` });
  }

  /** `GET /messages/batches/:id/detail`: who started it and when, and its deliveries by status. */
  getBatchDetail(batchId: string): Promise<BatchDetail> {
    return this.http.body({ method: 'GET', path: `/messages/batches/${seg(batchId)}/detail` });
  }

  /** `POST /messages/batches/:id/pause` */
  pauseBatch(batchId: string): Promise<Batch> {
    return this.http.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/pause` });
  }

  /** `POST /messages/batches/:id/resume` */
  resumeBatch(batchId: string): Promise<Batch> {
    return this.http.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/resume` });
  }

  /** `POST /messages/batches/:id/cancel` */
  cancelBatch(batchId: string): Promise<Batch> {
    return this.http.body({ method: 'POST', path: `/messages/batches/${seg(batchId)}/cancel` });
  }

  /** `GET /alerts?state=` */
  listAlerts(query: ListAlertsQuery = {}): Promise<Alert[]> {
    return this.http.body({ method: 'GET', path: '/alerts', query: { state: query.state } });
  }

  /** `POST /admin/encryption/rotate` -> 202 `{jobId}`; progress through `getJob`. */
  rotateEncryptionKeys(): Promise<EncryptionRotationResponse> {
    return this.http.body({ method: 'POST', path: '/admin/encryption/rotate' });
  }

  /** `GET /audit?limit=&cursor=` */
  listAuditEntries(query: CursorQuery = {}): Promise<AuditEntry[]> {
    return this.http.body({ method: 'GET', path: '/audit', query: { limit: query.limit, cursor: query.cursor } });
  }

  /** `GET /messages/:id/timeline` */
  getMessageTimeline(messageId: string): Promise<MessageTimeline> {
    return this.http.body({ method: 'GET', path: `/messages/${seg(messageId)}/timeline` });
  }

  /** `GET /jobs/search?q=` */
  searchJobs(q: string): Promise<JobSearchResults> {
    return this.http.body({ method: 'GET', path: '/jobs/search', query: { q } });
  }

  /** `GET /ledger/accesses?subjectId=&actorId=&limit=&cursor=`: who read whose messages, newest first. */
  listLedgerAccesses(query: { subjectId?: string; actorId?: string; limit?: number; cursor?: string } = {}): Promise<LedgerAccessPage> {
    return this.http.body({ method: 'GET', path: '/ledger/accesses', query });
  }

  /** `GET /ledger/verify`: the access ledger's hash chain checked from its first row. */
  verifyLedger(): Promise<LedgerVerifyResult> {
    return this.http.body({ method: 'GET', path: '/ledger/verify' });
  }
}

/** Only send `dryRun` when asked: an empty body keeps the non-dry-run call exactly as documented. */
function dryRunBody(options: DryRunOption): { dryRun: true } | undefined {
  return options.dryRun ? { dryRun: true } : undefined;
}
