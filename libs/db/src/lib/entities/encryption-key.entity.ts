import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation, Unique } from 'typeorm';
import { enumCheck } from '../enum-check.helper';
import { ConversationEntity } from './conversation.entity';

export const ENCRYPTION_KEY_STATUSES = Object.freeze(['active', 'retired'] as const);
export type EncryptionKeyStatus = (typeof ENCRYPTION_KEY_STATUSES)[number];

/** A conversation's data key, versioned, stored only wrapped (encrypted) by a master key. */
@Entity({ name: 'encryption_keys' })
@Check('chk_encryption_keys_status', enumCheck('status', ENCRYPTION_KEY_STATUSES))
@Unique(['conversationId', 'version'])
export class EncryptionKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<ConversationEntity>;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'bytea' })
  wrappedKey!: Buffer;

  @Column({ type: 'bytea' })
  wrapIv!: Buffer;

  @Column({ type: 'bytea' })
  wrapTag!: Buffer;

  /** Which master key wrapped it, so master keys can rotate too. */
  @Column({ type: 'text' })
  masterKeyId!: string;

  @Column({ type: 'text', default: 'active' })
  status!: EncryptionKeyStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;
}
