import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsUUID,
  Max,
  Min,
} from 'class-validator';

/*
 * Job payloads carry ids and small enums only. Message content, names, emails and phone
 * numbers are loaded from Postgres by the processor, so Redis, Bull Board and logs never
 * hold them. A payload class with a free-text field would be a leak waiting to happen:
 * there is none here, and `job-payloads.spec.ts` keeps it that way.
 */

export class SendMessageJob {
  @IsUUID() messageId!: string;
  @IsUUID() conversationId!: string;
  @IsUUID() senderId!: string;
}

export const CONFIRMATION_STATUSES = Object.freeze(['delivered', 'read'] as const);
export type ConfirmationStatus = (typeof CONFIRMATION_STATUSES)[number];

export class DeliveryConfirmationJob {
  @IsUUID() messageId!: string;
  @IsUUID() recipientId!: string;
  @IsIn(CONFIRMATION_STATUSES) status!: ConfirmationStatus;
  /** When the recipient's client confirmed, so a late job still records the true time. */
  @IsISO8601({ strict: true }) at!: string;
}

export const NOTIFICATION_CHANNELS = Object.freeze(['in_app', 'email', 'push', 'sms'] as const);
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const NOTIFICATION_REASONS = Object.freeze(['offline', 'unread', 'broadcast'] as const);
export type NotificationReason = (typeof NOTIFICATION_REASONS)[number];

export class NotificationJob {
  @IsUUID() recipientId!: string;
  @IsIn(NOTIFICATION_CHANNELS) channel!: NotificationChannel;
  @IsIn(NOTIFICATION_REASONS) reason!: NotificationReason;
  /** The message it is about; absent for a digest. */
  @IsOptional() @IsUUID() messageId?: string;
  /** A digest covers one window (its start, in seconds since the epoch): one email per user per window. */
  @IsOptional() @IsInt() @Min(0) digestWindow?: number;
}

export const INDEXING_OPERATIONS = Object.freeze(['index', 'update', 'delete'] as const);
export type IndexingOperation = (typeof INDEXING_OPERATIONS)[number];

export class IndexingJob {
  @IsUUID() messageId!: string;
  @IsUUID() conversationId!: string;
  @IsIn(INDEXING_OPERATIONS) operation!: IndexingOperation;
  /** Edit revision (ms since epoch of the edit), so a second edit is a new job, not a duplicate id. */
  @IsInt() @Min(0) revision!: number;
}

export const ENCRYPTION_OPERATIONS = Object.freeze([
  'rotate',
  'reencrypt-conversation',
  'rewrap-keys',
] as const);
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
