import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Relation, UpdateDateColumn } from 'typeorm';
import type { FallbackChannel, NotificationChannelPreferences, QuietHours } from '@mq/messaging-contracts';
import { UserEntity } from './user.entity';

@Entity({ name: 'notification_preferences' })
export class NotificationPreferenceEntity {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  // Many-to-one rather than one-to-one: the primary key already makes it unique, and a
  // one-to-one would add a second, redundant unique constraint.
  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'jsonb' })
  channels!: NotificationChannelPreferences;

  @Column({ type: 'jsonb', nullable: true })
  quietHours!: QuietHours | null;

  /** Null: no fallback (the user never chose an order). */
  @Column({ type: 'jsonb', nullable: true })
  channelOrder!: FallbackChannel[] | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
