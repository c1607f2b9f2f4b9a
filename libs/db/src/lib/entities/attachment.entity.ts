import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from 'typeorm';
import { bigintNumberTransformer } from '../bigint-number.transformer';
import { MessageEntity } from './message.entity';

@Entity({ name: 'attachments' })
// Cleanup of expired attachments.
@Index(['expiresAt'])
export class AttachmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Null while uploaded but not yet attached to a sent message. */
  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  @Column({ type: 'text' })
  storageKey!: string;

  @Column({ type: 'text' })
  contentType!: string;

  @Column({ type: 'bigint', transformer: bigintNumberTransformer })
  sizeBytes!: number;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
