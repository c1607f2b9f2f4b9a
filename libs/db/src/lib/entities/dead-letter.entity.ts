import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A job that exhausted its attempts, kept beyond Bull's retention so it can be inspected and replayed. */
@Entity({ name: 'dead_letters' })
// The same failure recorded twice (two listeners, a retried write) stays one row.
@Unique(['jobId', 'failedAt'])
// Newest first. TypeORM cannot declare a DESC index, so the migration creates it and the
// schema builder is told to leave it alone.
@Index('idx_dead_letters_failed_at_desc', { synchronize: false })
export class DeadLetterEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  queue!: string;

  @Column({ type: 'text' })
  jobId!: string;

  @Column({ type: 'text' })
  jobName!: string;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ type: 'text' })
  failedReason!: string;

  @Column({ type: 'text', nullable: true })
  stacktrace!: string | null;

  @Column({ type: 'int' })
  attemptsMade!: number;

  @Column({ type: 'timestamptz' })
  failedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  replayedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  replayJobId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
