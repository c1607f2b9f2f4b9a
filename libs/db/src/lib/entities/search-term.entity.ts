import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { MessageEntity } from './message.entity';

/**
 * Blind index: keyed hashes of a message's normalised words, so search works without the
 * server storing or scanning plaintext.
 */
@Entity({ name: 'search_terms' })
@Index(['conversationId', 'termHash'])
export class SearchTermEntity {
  @PrimaryColumn({ type: 'uuid' })
  messageId!: string;

  @PrimaryColumn({ type: 'bytea' })
  termHash!: Buffer;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  /** Copied from the message so a search needs no join (no FK: the message's own FK covers it). */
  @Column({ type: 'uuid' })
  conversationId!: string;

  @Column({ type: 'int' })
  keyVersion!: number;
}
