import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation, Unique } from 'typeorm';
import { PRIORITY_LEVELS, type PriorityLevel } from '@mq/queue-contracts';
import { bigintNumberTransformer } from '../bigint-number.transformer';
import { enumCheck } from '../enum-check.helper';
import { ConversationEntity } from './conversation.entity';
import { UserEntity } from './user.entity';

export const MESSAGE_STATUSES = Object.freeze(['scheduled', 'queued', 'sent', 'failed', 'deleted'] as const);
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const MESSAGE_PRIORITIES: readonly PriorityLevel[] = PRIORITY_LEVELS;
export type MessagePriority = PriorityLevel;

@Entity({ name: 'messages' })
@Check('chk_messages_status', enumCheck('status', MESSAGE_STATUSES))
@Check('chk_messages_priority', enumCheck('priority', PRIORITY_LEVELS))
// Only a message that has not gone out (scheduled, or deleted before it did) lacks a seq.
@Check('chk_messages_seq_sent', `"seq" IS NOT NULL OR "status" IN ('scheduled', 'deleted')`)
@Unique(['conversationId', 'seq'])
// A client retrying a send with the same id gets the first message back instead of a duplicate.
@Index('uq_messages_sender_id_client_message_id', ['senderId', 'clientMessageId'], {
  unique: true,
  where: '"client_message_id" IS NOT NULL',
})
// Retention cleanup walks messages by age.
@Index(['createdAt'])
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<ConversationEntity>;

  /**
   * Position in the conversation, from `conversations.last_seq`, taken when the message goes
   * out: a scheduled message has none until then, so catch-up never sees a hole.
   */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumberTransformer })
  seq!: number | null;

  @Column({ type: 'uuid' })
  senderId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'sender_id' })
  sender?: Relation<UserEntity>;

  @Column({ type: 'text', nullable: true })
  clientMessageId!: string | null;

  // Content is stored encrypted only (AES-GCM): ciphertext, its IV and auth tag, and the key version.
  @Column({ type: 'bytea' })
  ciphertext!: Buffer;

  @Column({ type: 'bytea' })
  iv!: Buffer;

  @Column({ type: 'bytea' })
  authTag!: Buffer;

  @Column({ type: 'int' })
  keyVersion!: number;

  @Column({ type: 'text', default: 'normal' })
  priority!: MessagePriority;

  /** Goes through the recipients' quiet hours (POST /messages `critical`, allowed roles only). */
  @Column({ type: 'boolean', default: false })
  critical!: boolean;

  @Column({ type: 'text' })
  status!: MessageStatus;

  @Column({ type: 'timestamptz', nullable: true })
  sendAt!: Date | null;

  /** The batch that fanned this message out, if any (no FK: batches also point at messages). */
  @Column({ type: 'uuid', nullable: true })
  batchId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  editedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
