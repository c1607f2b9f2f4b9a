import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation, UpdateDateColumn } from 'typeorm';
import { enumCheck } from '../enum-check.helper';
import { ConversationEntity } from './conversation.entity';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

export const BATCH_KINDS = Object.freeze(['broadcast', 'group'] as const);
export type BatchKind = (typeof BATCH_KINDS)[number];

export const BATCH_STATUSES = Object.freeze(['queued', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const);
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A fan-out of one message to many recipients, sent in chunks and resumable from `cursor`. */
@Entity({ name: 'batches' })
@Check('chk_batches_kind', enumCheck('kind', BATCH_KINDS))
@Check('chk_batches_status', enumCheck('status', BATCH_STATUSES))
export class BatchEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: BatchKind;

  // Batch history outlives message retention and conversation cleanup, hence SET NULL.
  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  @ManyToOne(() => MessageEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  @Column({ type: 'uuid', nullable: true })
  conversationId!: string | null;

  @ManyToOne(() => ConversationEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<ConversationEntity>;

  @Column({ type: 'uuid' })
  createdBy!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'created_by' })
  creator?: Relation<UserEntity>;

  /** Every active user, resolved chunk by chunk, instead of an explicit recipient list. */
  @Column({ type: 'boolean', default: false })
  allUsers!: boolean;

  @Column({ type: 'uuid', array: true, nullable: true })
  recipientIds!: string[] | null;

  @Column({ type: 'int' })
  total!: number;

  @Column({ type: 'int', default: 0 })
  processed!: number;

  @Column({ type: 'int', default: 0 })
  failed!: number;

  @Column({ type: 'text', default: 'queued' })
  status!: BatchStatus;

  @Column({ type: 'int' })
  chunkSize!: number;

  @Column({ type: 'int' })
  chunkDelayMs!: number;

  /** Where the next chunk starts, so a retried or resumed batch does not resend. */
  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  @Column({ type: 'text', nullable: true })
  jobId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
