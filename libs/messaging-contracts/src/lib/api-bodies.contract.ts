import type { ConversationExport, LedgerAccessPage, LedgerVerifyResult } from './access-ledger.contract';
import type { ApiErrorBody } from './api-error.contract';
import type { LoginResponse, PasswordResetResponse, User } from './auth.contract';
import type { BatchDetail } from './broadcast.contract';
import type { Conversation, ConversationSummary } from './conversation.contract';
import type { Delivery, Message, MessagesPage, SearchResults, SendMessageResponse } from './message.contract';
import type {
  Alert,
  AuditEntry,
  Batch,
  BatchSummary,
  BroadcastResponse,
  CleanQueueResponse,
  DryRunResponse,
  EncryptionRotationResponse,
  FailedDeliveriesPage,
  JobAttempt,
  JobDetail,
  JobHistory,
  JobSearchResults,
  JobsPage,
  MetricsHistory,
  PromoteJobsResponse,
  QueueHealthReport,
  QueueMetrics,
  QueuePauseResponse,
  RetryDeliveriesResponse,
  RetryFailedResponse,
} from './operator.contract';
import type {
  DeadLetter,
  DeadLetterDiscardResponse,
  DeadLetterGroup,
  DeadLetterGroupReplayResponse,
  DeadLetterReplayResponse,
  DeadLetterRestoreResponse,
} from './dead-letter.contract';
import type { FailedDeliveryGroup } from './failed-delivery-group.contract';
import type { MessageTimeline } from './message-timeline.contract';
import type { RedisReport, ScheduledJob, TrafficSummary, WorkerProcess } from './fleet.contract';
import type { HealthResponse } from './health.contract';
import type { AppNotification, NotificationPreferences } from './settings.contract';

/**
 * Every body the REST api answers with, by the name of its schema in the OpenAPI document
 * (`apps/api/openapi.json`, generated from these types by `npm run openapi`). The api's
 * `@ApiResult` takes these names, so a route cannot name a body that is not here.
 */
export interface ApiResponseBodies {
  Alert: Alert;
  ApiErrorBody: ApiErrorBody;
  AppNotification: AppNotification;
  AuditEntry: AuditEntry;
  Batch: Batch;
  BatchDetail: BatchDetail;
  BatchSummary: BatchSummary;
  BroadcastResponse: BroadcastResponse;
  CleanQueueResponse: CleanQueueResponse;
  Conversation: Conversation;
  ConversationExport: ConversationExport;
  ConversationSummary: ConversationSummary;
  DeadLetter: DeadLetter;
  DeadLetterDiscardResponse: DeadLetterDiscardResponse;
  DeadLetterGroup: DeadLetterGroup;
  DeadLetterGroupReplayResponse: DeadLetterGroupReplayResponse;
  DeadLetterReplayResponse: DeadLetterReplayResponse;
  DeadLetterRestoreResponse: DeadLetterRestoreResponse;
  Delivery: Delivery;
  DryRunResponse: DryRunResponse;
  EncryptionRotationResponse: EncryptionRotationResponse;
  FailedDeliveriesPage: FailedDeliveriesPage;
  FailedDeliveryGroup: FailedDeliveryGroup;
  HealthResponse: HealthResponse;
  JobAttempt: JobAttempt;
  JobDetail: JobDetail;
  JobHistory: JobHistory;
  JobSearchResults: JobSearchResults;
  JobsPage: JobsPage;
  LedgerAccessPage: LedgerAccessPage;
  LedgerVerifyResult: LedgerVerifyResult;
  LoginResponse: LoginResponse;
  Message: Message;
  MessagesPage: MessagesPage;
  MessageTimeline: MessageTimeline;
  MetricsHistory: MetricsHistory;
  NotificationPreferences: NotificationPreferences;
  PasswordResetResponse: PasswordResetResponse;
  PromoteJobsResponse: PromoteJobsResponse;
  QueueHealthReport: QueueHealthReport;
  QueueMetrics: QueueMetrics;
  QueuePauseResponse: QueuePauseResponse;
  RedisReport: RedisReport;
  RetryDeliveriesResponse: RetryDeliveriesResponse;
  RetryFailedResponse: RetryFailedResponse;
  ScheduledJob: ScheduledJob;
  SearchResults: SearchResults;
  SendMessageResponse: SendMessageResponse;
  TrafficSummary: TrafficSummary;
  User: User;
  WorkerProcess: WorkerProcess;
}

export type ApiResponseBodyName = keyof ApiResponseBodies;
