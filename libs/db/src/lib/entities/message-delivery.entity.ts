import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation, UpdateDateColumn } from 'typeorm';
import { enumCheck } from '../enum-check.helper';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

export const DELIVERY_STATUSES = Object.freeze(['queued', 'sent', 'delivered', 'read', 'failed'] as const);
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row per message x recipient. */
@Entity({ name: 'message_deliveries' })
@Check('chk_message_deliveries_status', enumCheck('status', DELIVERY_STATUSES))
// No index mentions status: its updates (queued -> sent -> delivered -> read) stay heap-only (HOT).
// A recipient's deliveries in a time window (the email digest), and the cascade from users.
@Index(['recipientId', 'queuedAt'])
// The failed-deliveries view and retries only ever look at rows that failed.
@Index('idx_message_deliveries_failed_at', ['failedAt'], { where: `"failed_at" IS NOT NULL` })
// One broadcast's failed deliveries, newest first (its message's only).
@Index('idx_message_deliveries_message_id_failed_at', ['messageId', 'failedAt'], { where: `"failed_at" IS NOT NULL` })
export class MessageDeliveryEntity {
  @PrimaryColumn({ type: 'uuid' })
  messageId!: string;

  @PrimaryColumn({ type: 'uuid' })
  recipientId!: string;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'recipient_id' })
  recipient?: Relation<UserEntity>;

  @Column({ type: 'text', default: 'queued' })
  status!: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ type: 'text', nullable: true })
  jobId!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  queuedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  failedAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
