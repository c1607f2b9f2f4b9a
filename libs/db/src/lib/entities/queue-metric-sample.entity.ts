import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Periodic snapshot of one queue's counts, for charts and alert rules over time. */
@Entity({ name: 'queue_metric_samples' })
@Index(['queue', 'sampledAt'])
export class QueueMetricSampleEntity {
  /** bigint identity; returned as a string by pg. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  queue!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  sampledAt!: Date;

  @Column({ type: 'int' })
  waiting!: number;

  @Column({ type: 'int' })
  active!: number;

  @Column({ type: 'int' })
  delayed!: number;

  @Column({ type: 'int' })
  failed!: number;

  @Column({ type: 'int' })
  completedPerMinute!: number;

  @Column({ type: 'int' })
  failedPerMinute!: number;

  @Column({ type: 'boolean' })
  paused!: boolean;
}
