import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from 'typeorm';
import { UserEntity } from './user.entity';

/** Who retried, paused, cleaned or replayed what, and when. */
@Entity({ name: 'audit_log' })
// Newest first; see dead-letter.entity.ts for why the DESC index is migration-only.
@Index('idx_audit_log_at_desc', { synchronize: false })
export class AuditLogEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Null for system actions, or once the actor is deleted: the entry itself stays. */
  @Column({ type: 'uuid', nullable: true })
  actorId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'actor_id' })
  actor?: Relation<UserEntity>;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  target!: string;

  /** How many items the action touched (jobs retried, messages cleaned), when it applies. */
  @Column({ type: 'int', nullable: true })
  count!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  detail!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;
}
