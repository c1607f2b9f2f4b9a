import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation, Unique } from 'typeorm';
import { NOTIFICATION_CHANNELS, type NotificationChannel } from '@mq/queue-contracts';
import { enumCheck } from '../enum-check.helper';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

/**
 * A notification quiet hours held: one per (recipient, channel, message). At `wakeAt` the
 * recipient gets one digest per channel listing the held items (count and senders, never
 * content), and they are marked released.
 */
@Entity({ name: 'held_notifications' })
@Check('chk_held_notifications_channel', enumCheck('channel', NOTIFICATION_CHANNELS))
@Unique(['userId', 'channel', 'messageId'])
export class HeldNotificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'text' })
  channel!: NotificationChannel;

  /** Goes with the message: retention's clean-up leaves nothing to list. */
  @Column({ type: 'uuid' })
  messageId!: string;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<MessageEntity>;

  /** The end of the quiet period that held it: when its digest goes out. */
  @Column({ type: 'timestamptz' })
  wakeAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  heldAt!: Date;

  /** Set by the digest that listed it (or dropped it, read before wake). */
  @Column({ type: 'timestamptz', nullable: true })
  releasedAt!: Date | null;
}
