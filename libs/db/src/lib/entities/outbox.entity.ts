import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { JobName, QueueName } from '@mq/queue-contracts';

/**
 * Transactional outbox: a job is written here in the same transaction as the rows it is
 * about, and a relay publishes it to Bull, so a crash between commit and enqueue loses nothing.
 */
@Entity({ name: 'outbox' })
// The relay only scans unpublished rows, in id order.
@Index('idx_outbox_unpublished', ['id'], { where: '"published_at" IS NULL' })
// The send jobs the reconciler has still to see end.
@Index('idx_outbox_send_unfinished', ['id'], { where: `"job_name" = 'send-message' AND "published_at" IS NOT NULL AND "finished_at" IS NULL` })
export class OutboxEntity {
  /** bigint identity: insertion order. Returned as a string by pg; order in SQL, not in JS. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  queue!: QueueName;

  @Column({ type: 'text' })
  jobName!: JobName;

  /** The deterministic job id, so publishing twice makes one Bull job. */
  @Column({ type: 'text', unique: true })
  jobId!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /** Bull priority (1 first). */
  @Column({ type: 'int' })
  priority!: number;

  /** A scheduled send is published as a job delayed until then. */
  @Column({ type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** When its job was seen to end: completed, failed for good, or gone from Redis. */
  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
