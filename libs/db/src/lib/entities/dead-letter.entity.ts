import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A job that exhausted its attempts, kept beyond Bull's retention so it can be inspected and replayed. */
@Entity({ name: 'dead_letters' })
// The same failure recorded twice (two listeners, a retried write) stays one row.
@Unique(['jobId', 'failedAt'])
// Newest first. TypeORM cannot declare a DESC index, so the migration creates it and the
// schema builder is told to leave it alone.
@Index('idx_dead_letters_failed_at_desc', { synchronize: false })
// A group's live rows, newest first (failure-fingerprint.ts makes the key).
@Index('idx_dead_letters_fingerprint_live', ['fingerprint', 'failedAt'], { where: '"discarded_at" IS NULL' })
// Undo finds a discard's rows by its id.
@Index('idx_dead_letters_discard_id', ['discardId'], { where: '"discard_id" IS NOT NULL' })
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

  /** The cause: job name + normalised error + top frame, hashed. */
  @Column({ type: 'text' })
  fingerprint!: string;

  /** Hidden from lists at once; purged once the undo window has passed. */
  @Column({ type: 'timestamptz', nullable: true })
  discardedAt!: Date | null;

  /** The discard (one or many rows) an undo restores. */
  @Column({ type: 'uuid', nullable: true })
  discardId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
