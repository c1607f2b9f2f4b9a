import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Relation, UpdateDateColumn } from 'typeorm';
import { UserEntity } from './user.entity';

export interface NotificationChannelPreferences {
  inApp: boolean;
  email: boolean;
  push: boolean;
  sms: boolean;
}

/** Local wall-clock window in which only in-app notifications are sent; may wrap midnight. */
export interface QuietHours {
  /** `HH:mm`, e.g. `22:00`. */
  start: string;
  /** `HH:mm`, e.g. `07:00`. */
  end: string;
  /** IANA zone, e.g. `Europe/London`. */
  timeZone: string;
}

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

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
