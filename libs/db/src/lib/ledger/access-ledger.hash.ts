import { createHash } from 'node:crypto';
import type { AccessVia } from '../entities/access-ledger.entity';

/** The hash before the first row. */
export const LEDGER_GENESIS_HASH = Buffer.alloc(32);

/** What a row's hash covers: every field but the hash itself. */
export interface LedgerHashedFields {
  seq: string;
  actorId: string;
  subjectIds: readonly string[];
  conversationIds: readonly string[];
  messageIds: readonly string[];
  via: AccessVia;
  ip: string | null;
  userAgent: string | null;
  at: Date;
}

/**
 * The canonical encoding of a row's own fields: a JSON array in a fixed order, with a version
 * tag first, uuids in lower case, the time as ISO 8601 with milliseconds (what a Date holds, and
 * what Postgres returns for a time written from one). JSON.stringify of strings, nulls and
 * arrays of strings is deterministic, so the writer and the verifier agree.
 */
export function canonicalLedgerFields(row: Omit<LedgerHashedFields, 'seq'>): string {
  return JSON.stringify([
    'mq-access-ledger/1',
    row.actorId,
    row.subjectIds,
    row.conversationIds,
    row.messageIds,
    row.via,
    row.ip,
    row.userAgent,
    row.at.toISOString(),
  ]);
}

/** sha256 of the canonical encoding: computed by the writer, so Postgres only chains it. */
export function ledgerFieldsDigest(row: Omit<LedgerHashedFields, 'seq'>): Buffer {
  return createHash('sha256').update(canonicalLedgerFields(row)).digest();
}

/**
 * A row's hash: sha256(previous hash || seq as 8 bytes big-endian || fields digest). Postgres
 * computes the same from bytes alone (`sha256(prev || int8send(seq) || digest)`) while the
 * append holds the head's lock, so an append is one statement.
 */
export function chainLedgerHash(prevHash: Buffer, seq: string, fieldsDigest: Buffer): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigInt64BE(BigInt(seq));
  return createHash('sha256')
    .update(Buffer.concat([prevHash, seqBytes, fieldsDigest]))
    .digest();
}

export function ledgerRowHash(row: LedgerHashedFields, prevHash: Buffer): Buffer {
  return chainLedgerHash(prevHash, row.seq, ledgerFieldsDigest(row));
}
