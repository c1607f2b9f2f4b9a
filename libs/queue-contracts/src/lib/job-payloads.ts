import { Transform, plainToInstance } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { IsTraceparent } from './trace-context';

/*
 * Job payloads carry ids and small enums only. Message content, names, emails and phone
 * numbers are loaded from Postgres by the processor, so Redis, Bull Board and logs never
 * hold them. A payload class with a free-text field would be a leak waiting to happen:
 * there is none here, and `job-payloads.spec.ts` keeps it that way.
 */

/*
 * The hot jobs (sending, receipts, indexing) carry a list: a busy api commits many sends in one
 * transaction and hands them to the worker as one job, so Bull's per-job cost (a dozen Redis
 * commands and three pub/sub events) is paid per batch, not per message. A list of one is the
 * ordinary single job; a message that fails inside a larger batch is split out into a job of its
 * own, so retries, dead letters and operator retries stay per message.
 */

/** Most messages one `send-message` job carries. */
export const SEND_BATCH_MAX = 500;
/** Most receipts one `delivery-confirmation` job carries (~170 bytes each in Redis). */
export const RECEIPT_BATCH_MAX = 500;
/** Most messages one `index-message` job carries. */
export const INDEX_BATCH_MAX = 500;

export class SendMessageJob {
  /** Sent in this order; each to its own conversation's recipients. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(SEND_BATCH_MAX) @IsUUID('all', { each: true }) messageIds!: string[];
  /**
   * With tracing on (README "Tracing"): each message's W3C trace context, parallel to
   * messageIds ('' for a message without one), so each message's job span joins its own trace.
   */
  @IsOptional() @IsArray() @ArrayMaxSize(SEND_BATCH_MAX) @IsTraceparent({ each: true, allowEmpty: true }) traceparents?: string[];
}

export const CONFIRMATION_STATUSES = Object.freeze(['delivered', 'read'] as const);
export type ConfirmationStatus = (typeof CONFIRMATION_STATUSES)[number];

export class Receipt {
  @IsUUID() messageId!: string;
  @IsUUID() recipientId!: string;
  @IsIn(CONFIRMATION_STATUSES) status!: ConfirmationStatus;
  /** When the recipient's client confirmed, so a late job still records the true time. */
  @IsISO8601({ strict: true }) at!: string;
  /** With tracing on: the trace context of the ack, so the receipt's job span joins the message's trace. */
  @IsOptional() @IsTraceparent() traceparent?: string;
}

export class DeliveryConfirmationJob {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(RECEIPT_BATCH_MAX)
  @ValidateNested({ each: true })
  // Not @Type: it needs reflect-metadata, which the console (a browser) does not load.
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((item: unknown) => plainToInstance(Receipt, item)) : value))
  receipts!: Receipt[];
}

export const NOTIFICATION_CHANNELS = Object.freeze(['in_app', 'email', 'push', 'sms'] as const);
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** `quiet-hours`: the one digest per channel of what a recipient's quiet hours held, at their end (`window`: the end, in seconds). */
export const NOTIFICATION_REASONS = Object.freeze(['offline', 'unread', 'broadcast', 'quiet-hours', 'fallback'] as const);
export type NotificationReason = (typeof NOTIFICATION_REASONS)[number];

export class NotificationJob {
  @IsUUID() recipientId!: string;
  @IsIn(NOTIFICATION_CHANNELS) channel!: NotificationChannel;
  @IsIn(NOTIFICATION_REASONS) reason!: NotificationReason;
  /** The message it is about (an offline recipient, a broadcast); for a reminder, the first message of its window. */
  @IsOptional() @IsUUID() messageId?: string;
  /** An unread reminder is about a conversation: one per recipient and conversation per window, however many messages. */
  @IsOptional() @IsUUID() conversationId?: string;
  /** The window (its start, in seconds since the epoch) a digest or a reminder covers. */
  @IsOptional() @IsInt() @Min(0) window?: number;
  /** A fallback: the notification (its id) that bounced or failed for good on the user's preferred channel; this job repeats it on `channel`. */
  @IsOptional() @IsUUID() fallbackOf?: string;
}

export const INDEXING_OPERATIONS = Object.freeze(['index', 'update', 'delete'] as const);
export type IndexingOperation = (typeof INDEXING_OPERATIONS)[number];

export class IndexingJob {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(INDEX_BATCH_MAX) @IsUUID('all', { each: true }) messageIds!: string[];
  @IsIn(INDEXING_OPERATIONS) operation!: IndexingOperation;
  /** Edit revision (ms since epoch of the edit), so a second edit is a new job, not a duplicate id. */
  @IsInt() @Min(0) revision!: number;
}

export const ENCRYPTION_OPERATIONS = Object.freeze(['rotate', 'reencrypt-conversation', 'rewrap-keys'] as const);
export type EncryptionOperation = (typeof ENCRYPTION_OPERATIONS)[number];

export class EncryptionJob {
  @IsUUID() rotationId!: string;
  @IsIn(ENCRYPTION_OPERATIONS) operation!: EncryptionOperation;
  @IsOptional() @IsUUID() conversationId?: string;
}

export class BatchMessageJob {
  @IsUUID() batchId!: string;
  @IsInt() @Min(1) @Max(5000) chunkSize!: number;
  @IsInt() @Min(0) @Max(60_000) chunkDelayMs!: number;
}

export const CLEANUP_TYPES = Object.freeze([
  'old_messages',
  'deleted_messages',
  'deleted_conversations',
  'expired_attachments',
  'discarded_dead_letters',
  'all',
] as const);
export type CleanupType = (typeof CLEANUP_TYPES)[number];

export class CleanupJob {
  @IsUUID() runId!: string;
  @IsIn(CLEANUP_TYPES) cleanupType!: CleanupType;
  @IsInt() @Min(1) @Max(3650) retentionDays!: number;
  @IsInt() @Min(1) @Max(10_000) batchSize!: number;
  @IsBoolean() dryRun!: boolean;
}
