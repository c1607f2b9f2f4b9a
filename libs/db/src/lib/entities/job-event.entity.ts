import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { enumCheck } from '../enum-check.helper';

export const JOB_EVENT_KINDS = Object.freeze(['completed', 'attempt-failed', 'failed', 'retried'] as const);
export type JobEventKind = (typeof JOB_EVENT_KINDS)[number];

/**
 * What happened to a job, recorded by the worker: the history behind a message's timeline
 * and the job search, kept in Postgres so it outlives Redis retention (ids only, no content).
 */
@Entity({ name: 'job_events' })
@Check('chk_job_events_kind', enumCheck('kind', JOB_EVENT_KINDS))
@Index(['messageId', 'at'])
@Index(['userId', 'at'])
@Index(['jobId'])
@Index(['at'])
export class JobEventEntity {
  /** bigint identity; returned as a string by pg. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  queue!: string;

  @Column({ type: 'text' })
  jobId!: string;

  @Column({ type: 'text' })
  jobName!: string;

  @Column({ type: 'text' })
  kind!: JobEventKind;

  /** Which attempt this was (1-based). */
  @Column({ type: 'int' })
  attempt!: number;

  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  /** The user the job acts for (recipient, else sender). */
  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'int', nullable: true })
  durationMs!: number | null;

  /** The worker process that ran the attempt, `host:pid`; null for an operator's retry. */
  @Column({ type: 'text', nullable: true })
  worker!: string | null;

  /** A failed attempt's stack trace (ids only in its messages, like `error`). */
  @Column({ type: 'text', nullable: true })
  stack!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;
}
