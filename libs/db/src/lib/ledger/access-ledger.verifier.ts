import type { AccessLedgerRepository } from '../repositories/access-ledger.repository';
import { LEDGER_GENESIS_HASH, ledgerRowHash } from './access-ledger.hash';

export interface LedgerVerification {
  ok: boolean;
  rowsChecked: number;
  /** The first row that does not hold: altered, out of the chain, or missing. */
  firstBrokenSeq?: string;
  reason?: string;
}

/** Rows read per page: the walk holds one page at a time, never the whole chain. */
export const LEDGER_VERIFY_PAGE = 1_000;

/**
 * Walks the chain from its first row to the head as it stood when the walk began (rows
 * appended meanwhile are left for the next run): every seq follows the last, every row's
 * prev_hash is the last row's hash, every hash is the sha256 of the row's own fields, the last
 * row is the head, and the newest anchor in the audit log names a row with that very hash
 * (which catches a chain rewritten from some row on, hashes and all).
 */
export async function verifyAccessLedger(
  ledger: Pick<AccessLedgerRepository, 'head' | 'walk' | 'latestAnchor'>,
  pageSize = LEDGER_VERIFY_PAGE,
): Promise<LedgerVerification> {
  const head = await ledger.head();
  const anchor = await ledger.latestAnchor();
  const end = BigInt(head.seq);
  let seq = 0n;
  let hash: Buffer = LEDGER_GENESIS_HASH;
  let rowsChecked = 0;
  const broken = (at: bigint | string, reason: string): LedgerVerification => ({ ok: false, rowsChecked, firstBrokenSeq: String(at), reason });
  while (seq < end) {
    const page = await ledger.walk(seq.toString(), pageSize);
    if (page.length === 0) break;
    for (const row of page) {
      const rowSeq = BigInt(row.seq);
      if (rowSeq > end) break;
      rowsChecked += 1;
      if (rowSeq !== seq + 1n) return broken(seq + 1n, `row ${seq + 1n} is missing: the row after ${seq} is ${rowSeq}`);
      if (!row.prevHash.equals(hash)) return broken(rowSeq, `its prev_hash is not the hash of row ${seq}`);
      if (!ledgerRowHash(row, row.prevHash).equals(row.hash)) return broken(rowSeq, 'its hash does not match its fields: the row was altered');
      if (anchor && anchor.seq === row.seq && !anchor.hash.equals(row.hash)) return broken(rowSeq, 'its hash differs from the anchor in the audit log');
      seq = rowSeq;
      hash = row.hash;
    }
  }
  if (seq !== end) return broken(seq + 1n, `rows ${seq + 1n} to ${end} are missing (the head is at ${end})`);
  if (!hash.equals(head.hash)) return broken(end, 'the head row names another hash than the last row');
  if (anchor && BigInt(anchor.seq) > end) return broken(end + 1n, `the chain ends at ${end} but the audit log anchored ${anchor.seq}`);
  return { ok: true, rowsChecked };
}
