import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation, UpdateDateColumn } from 'typeorm';
import { bigintNumberTransformer } from '../bigint-number.transformer';
import { enumCheck } from '../enum-check.helper';
import { UserEntity } from './user.entity';

export const CONVERSATION_TYPES = Object.freeze(['direct', 'group', 'broadcast'] as const);
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

/** The `direct_key` of a direct conversation: both user ids sorted, so either side finds the same row. */
export function directConversationKey(userA: string, userB: string): string {
  return [userA.toLowerCase(), userB.toLowerCase()].sort().join(':');
}

@Entity({ name: 'conversations' })
@Check('chk_conversations_type', enumCheck('type', CONVERSATION_TYPES))
// A direct conversation is found by its key; any other type having one would block a real pair.
@Check('chk_conversations_direct_key', `("type" = 'direct') = ("direct_key" IS NOT NULL)`)
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  type!: ConversationType;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  /** Unique, so a direct pair exists once even when both users start it at the same moment. */
  @Column({ type: 'text', nullable: true, unique: true })
  directKey!: string | null;

  @Column({ type: 'uuid' })
  createdBy!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'created_by' })
  creator?: Relation<UserEntity>;

  /** Last allocated message seq: `UPDATE conversations SET last_seq = last_seq + 1 ... RETURNING last_seq`. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumberTransformer })
  lastSeq!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
