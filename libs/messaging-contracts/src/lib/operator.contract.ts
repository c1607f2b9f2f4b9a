/*
 * Operator endpoints (admin role; non-admins get 403). Queue names are plain strings here:
 * @mq/queue-contracts owns the names, and this package depends on nothing of ours.
 * Times are ISO-8601 strings, as everywhere in the contract.
 */

/** States a Bull job can be in (what `job.getState()` answers). */
export const JOB_STATES = Object.freeze(['waiting', 'active', 'completed', 'failed', 'delayed', 'paused', 'stuck'] as const);
export type JobState = (typeof JOB_STATES)[number];

/** `GET /messages/jobs/:jobId` -> 200; 404. Job data carries ids, never content. */
export interface JobDetail {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  /** A percentage, or the processor's structured progress. */
  progress: number | Record<string, unknown>;
  attemptsMade: number;
  failedReason: string | null;
  /** One entry per failed attempt. */
  stacktrace: string[];
  data: Record<string, unknown>;
  returnvalue: unknown;
  /** When the job was created. */
  timestamp: string;
  processedOn: string | null;
  finishedOn: string | null;
}

/** Job counts of one queue, as Bull reports them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  paused: number;
}

/** `GET /messages/queue/metrics`, `GET /queue/metrics`, and the `/admin` `queue:metrics` event. All six queues. */
export interface QueueMetrics {
  queues: Record<string, QueueCounts>;
  totals: QueueCounts;
  timestamp: string;
}

export const HEALTH_STATUSES = Object.freeze(['healthy', 'degraded', 'unhealthy'] as const);
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface QueueHealthEntry {
  status: HealthStatus;
  /** Failed / (completed + failed) among the jobs Bull still holds, 0..1. */
  failureRate: number;
  waiting: number;
  oldestWaitingMs: number;
  paused: boolean;
}

/** `GET /queue/health` -> 200. */
export interface QueueHealthReport {
  status: HealthStatus;
  queues: Record<string, QueueHealthEntry>;
}

/** `GET /queue/:name/jobs` query: `start`/`end` are inclusive indexes, as Bull takes them. */
export interface ListQueueJobsQuery {
  state: JobState;
  start?: number;
  end?: number;
}

/** `GET /queue/:name/jobs` -> 200. */
export interface JobsPage {
  jobs: JobDetail[];
  total: number;
}

/** Any bulk call (`retry-failed`, `clean`, `promote`) may be a dry run. */
export interface DryRunRequest {
  dryRun?: boolean;
}

/** A bulk call with `{dryRun: true}` -> 200: what it would touch; nothing changed. */
export interface DryRunResponse {
  dryRun: true;
  matched: number;
}

/** `POST /queue/:name/retry-failed` -> 202. */
export interface RetryFailedResponse {
  retried: number;
}

/** `POST /queue/:name/clean`. */
export interface CleanQueueRequest extends DryRunRequest {
  state: 'completed' | 'failed';
  olderThanMs: number;
}

/** `POST /queue/:name/clean` -> 200. */
export interface CleanQueueResponse {
  removed: number;
}

/** `POST /queue/:name/promote` -> 202: delayed jobs run now. */
export interface PromoteJobsResponse {
  promoted: number;
}

/** `GET /queue/metrics/history` query. */
export interface MetricsHistoryQuery {
  minutes?: number;
}

/** One queue during one minute. */
export interface MetricsSample {
  /** Start of the minute. */
  at: string;
  completed: number;
  failed: number;
  waiting: number;
}

/** `GET /queue/metrics/history?minutes=` -> 200: per-queue per-minute samples, oldest first. */
export interface MetricsHistory {
  minutes: number;
  queues: Record<string, MetricsSample[]>;
}

/** `limit` + opaque `cursor` paging (failed deliveries, audit). */
export interface CursorQuery {
  limit?: number;
  cursor?: string;
}

export interface FailedDelivery {
  messageId: string;
  conversationId: string;
  recipientId: string;
  failureReason: string | null;
  attempts: number;
  jobId: string | null;
  failedAt: string | null;
}

/** `GET /deliveries/failed` -> 200; `nextCursor` is null on the last page. */
export interface FailedDeliveriesPage {
  deliveries: FailedDelivery[];
  nextCursor: string | null;
}

/** `POST /messages/broadcast`: either explicit recipients or every active user. */
export interface BroadcastRequest {
  recipientIds?: string[];
  allUsers?: true;
  content: string;
  chunkSize?: number;
  /** Milliseconds between chunks. */
  chunkDelay?: number;
}

/** `POST /messages/broadcast` -> 202. */
export interface BroadcastResponse {
  batchId: string;
  jobId: string;
}

export const BATCH_STATUSES = Object.freeze(['queued', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const);
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** `GET /messages/batches/:id` and its pause / resume / cancel -> 200. */
export interface Batch {
  id: string;
  total: number;
  processed: number;
  failed: number;
  status: BatchStatus;
  /** 0..100. */
  progress: number;
}

/** `GET /messages/batches` -> 200 BatchSummary[]: a broadcast in the list, newest first. */
export interface BatchSummary extends Batch {
  kind: 'broadcast' | 'group';
  createdBy: string;
  /** The display name of who started it; null if that user is gone. */
  createdByName: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const ALERT_STATES = Object.freeze(['open', 'resolved'] as const);
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_SEVERITIES = Object.freeze(['warning', 'critical'] as const);
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `GET /alerts?state=` -> 200 Alert[]; also the `/admin` `alert` event. */
export interface Alert {
  id: string;
  /** e.g. failure rate, backlog, oldest waiting, stalled, redis unreachable. */
  rule: string;
  queue: string | null;
  status: AlertState;
  severity: AlertSeverity;
  message: string;
  value: number;
  threshold: number;
  openedAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

export interface ListAlertsQuery {
  state?: AlertState;
}

/** `POST /admin/encryption/rotate` -> 202; progress through `GET /messages/jobs/:jobId`. */
export interface EncryptionRotationResponse {
  jobId: string;
}

/** `GET /audit` -> 200 AuditEntry[]: who retried, paused, cleaned or replayed what. */
export interface AuditEntry {
  id: string;
  /** Null for system actions. */
  actorId: string | null;
  action: string;
  target: string;
  count: number | null;
  at: string;
}

export interface JobSearchResult {
  queue: string;
  jobId: string;
  name: string;
  state: JobState;
  messageId: string | null;
  userId: string | null;
  error: string | null;
  at: string;
}

/** `GET /jobs/search?q=` -> 200. */
export interface JobSearchResults {
  results: JobSearchResult[];
}

/** `POST /deliveries/retry` -> 202 */
export interface RetryDeliveriesResponse {
  retried: number;
  jobIds: string[];
}

/** `POST /queue/:name/pause` and `/resume` -> 200 */
export interface QueuePauseResponse {
  queue: string;
  paused: boolean;
}

/** One thing that happened to a job, from its history in Postgres (kept after Bull drops the job). */
export interface JobAttempt {
  kind: 'completed' | 'attempt-failed' | 'failed' | 'retried';
  /** 1-based; 0 for an operator's retry. */
  attempt: number;
  /** When the attempt started (its end less its duration); null when unknown. */
  startedAt: string | null;
  /** When it ended (or, for a retry, when the operator asked). */
  at: string;
  durationMs: number | null;
  /** The worker process that ran it, `host:pid`; null for an operator's retry. */
  worker: string | null;
  error: string | null;
  stack: string | null;
}

/** `GET /jobs/:jobId/history` -> 200: every attempt, oldest first. */
export interface JobHistory {
  jobId: string;
  attempts: JobAttempt[];
}
