import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { enumCheck } from '../enum-check.helper';

/** How message content reached its reader. */
export const ACCESS_VIAS = Object.freeze(['history', 'socket-sync', 'conversation-list', 'message-edit', 'export'] as const);
export type AccessVia = (typeof ACCESS_VIAS)[number];

/**
 * One access to message content: who read whose messages, which ones, when, how and from where
 * (never the content). Rows are hash-chained (`hash` covers the row and `prev_hash`) and the
 * table is append-only: a trigger from the migration refuses UPDATE, DELETE and TRUNCATE.
 * No foreign keys: a deleted user or conversation must not rewrite (or block on) the ledger.
 */
@Entity({ name: 'access_ledger' })
@Check('chk_access_ledger_via', enumCheck('via', ACCESS_VIAS))
// "Who read this person's messages": a GIN index on subject_ids, migration-only (see initial-schema.int-spec.ts).
@Index('idx_access_ledger_subject_ids', { synchronize: false })
@Index(['actorId', 'seq'])
export class AccessLedgerEntity {
  /** 1, 2, 3...: gapless, assigned under the chain head's row lock. pg returns it as a string. */
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  /** The reader. */
  @Column({ type: 'uuid' })
  actorId!: string;

  /** Whose content was revealed: the senders of the messages read, the reader left out. */
  @Column({ type: 'uuid', array: true })
  subjectIds!: string[];

  @Column({ type: 'uuid', array: true })
  conversationIds!: string[];

  @Column({ type: 'uuid', array: true })
  messageIds!: string[];

  @Column({ type: 'text' })
  via!: AccessVia;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  /** Cut to 120 characters. */
  @Column({ type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'bytea' })
  prevHash!: Buffer;

  @Column({ type: 'bytea' })
  hash!: Buffer;
}

/** The chain's single head row (id 1): locked FOR UPDATE by every append, so appends from any process stay one chain. */
@Entity({ name: 'access_ledger_head' })
@Check('chk_access_ledger_head_single', '"id" = 1')
export class AccessLedgerHeadEntity {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  /** The last row's seq; 0 before the first. */
  @Column({ type: 'bigint' })
  seq!: string;

  /** The last row's hash; 32 zero bytes before the first. */
  @Column({ type: 'bytea' })
  hash!: Buffer;

  /** The seq last written to the audit log as an anchor (`ledger.anchor`). */
  @Column({ type: 'bigint' })
  anchoredSeq!: string;
}
