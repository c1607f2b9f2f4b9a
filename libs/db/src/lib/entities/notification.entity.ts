import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from 'typeorm';
import { NOTIFICATION_CHANNELS, type NotificationChannel } from '@mq/queue-contracts';
import { PROVIDER_STATUSES, type ProviderStatus } from '@mq/messaging-contracts';
import { enumCheck } from '../enum-check.helper';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

export const NOTIFICATION_STATUSES = Object.freeze(['pending', 'sent', 'failed', 'skipped'] as const);
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

@Entity({ name: 'notifications' })
@Check('chk_notifications_channel', enumCheck('channel', NOTIFICATION_CHANNELS))
@Check('chk_notifications_status', enumCheck('status', NOTIFICATION_STATUSES))
@Check('chk_notifications_provider_status', enumCheck('provider_status', PROVIDER_STATUSES))
@Index(['userId', 'createdAt'])
@Index('idx_notifications_channel_provider_id', ['channel', 'providerId'], { where: '"provider_id" IS NOT NULL' })
export class NotificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** Kept when the message is cleaned up: the notification history outlives message retention. */
  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  @ManyToOne(() => MessageEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  @Column({ type: 'text' })
  channel!: NotificationChannel;

  @Column({ type: 'text', default: 'pending' })
  status!: NotificationStatus;

  /** Never message content: "New message from X". */
  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** One notification per (message or reason, recipient, channel), however often its job runs. */
  @Column({ type: 'text', unique: true })
  dedupeKey!: string;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  /** The provider's id of what was sent (SMTP Message-ID without brackets, Twilio MessageSid, push Location). */
  @Column({ type: 'text', nullable: true })
  providerId!: string | null;

  @Column({ type: 'text', nullable: true })
  providerStatus!: ProviderStatus | null;

  /** The provider's reason (bounce diagnostic, Twilio ErrorCode), contacts redacted. */
  @Column({ type: 'text', nullable: true })
  providerDetail!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  providerStatusAt!: Date | null;

  /** The notification this one replaces on the user's next channel, when it bounced or failed. */
  @Column({ type: 'uuid', nullable: true })
  fallbackOf!: string | null;
}
