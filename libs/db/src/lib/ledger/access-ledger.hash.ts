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
 * The canonical encoding: a JSON array in a fixed order, with a version tag first, uuids in
 * lower case, the time as ISO 8601 with milliseconds (what a Date holds, and what Postgres
 * returns for a time written from one) and the previous hash in hex. JSON.stringify of
 * strings, nulls and arrays of strings is deterministic, so the writer and the verifier agree.
 */
export function canonicalLedgerRow(row: LedgerHashedFields, prevHash: Buffer): string {
  return JSON.stringify([
    'mq-access-ledger/1',
    row.seq,
    row.actorId,
    row.subjectIds,
    row.conversationIds,
    row.messageIds,
    row.via,
    row.ip,
    row.userAgent,
    row.at.toISOString(),
    prevHash.toString('hex'),
  ]);
}

/** sha256(canonical encoding of the row and the previous row's hash). */
export function ledgerRowHash(row: LedgerHashedFields, prevHash: Buffer): Buffer {
  return createHash('sha256').update(canonicalLedgerRow(row, prevHash)).digest();
}
