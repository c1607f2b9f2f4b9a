import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { bigintNumberTransformer } from '../bigint-number.transformer';
import { ConversationEntity } from './conversation.entity';
import { UserEntity } from './user.entity';

@Entity({ name: 'conversation_participants' })
// "My conversations": the primary key leads with conversation_id, so user_id needs its own.
@Index(['userId'])
export class ConversationParticipantEntity {
  @PrimaryColumn({ type: 'uuid' })
  conversationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<ConversationEntity>;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  joinedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumberTransformer })
  lastReadSeq!: number;
}
