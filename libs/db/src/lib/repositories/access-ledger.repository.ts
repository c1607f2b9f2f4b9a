import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccessVia } from '../entities/access-ledger.entity';
import { LedgerHashedFields, ledgerFieldsDigest } from '../ledger/access-ledger.hash';
import { SqlParams, SqlStatement } from '../sql-statement';

/** One access to message content, as the api records it. */
export interface AccessRecord {
  actorId: string;
  subjectIds: readonly string[];
  conversationIds: readonly string[];
  messageIds: readonly string[];
  via: AccessVia;
  ip: string | null;
  userAgent: string | null;
}

export interface AccessLedgerRow extends LedgerHashedFields {
  subjectIds: string[];
  conversationIds: string[];
  messageIds: string[];
  prevHash: Buffer;
  hash: Buffer;
}

export interface LedgerHead {
  seq: string;
  hash: Buffer;
}

export interface AccessLedgerQuery {
  /** Rows revealing this user's messages. */
  subjectId?: string;
  actorId?: string;
  /** Rows before this seq (the previous page's `next`). */
  beforeSeq?: string;
  limit: number;
}

export interface AccessLedgerPage {
  items: AccessLedgerRow[];
  /** The seq the next page starts before; null on the last page. */
  next: string | null;
}

const USER_AGENT_MAX = 120;
const lower = (ids: readonly string[]): string[] => ids.map((id) => id.toLowerCase());

// Selected as text (bigint), so ORDER BY names the table's column: the alias would sort as text.
const ROW_COLUMNS = `seq::text AS seq, actor_id AS "actorId", subject_ids::text[] AS "subjectIds", conversation_ids::text[] AS "conversationIds",
  message_ids::text[] AS "messageIds", via, ip, user_agent AS "userAgent", at, prev_hash AS "prevHash", hash`;

/** A page newest first; a subject or an actor given is read by its own index (GIN, or actor and seq). */
export function accessLedgerPageStatement(query: AccessLedgerQuery): SqlStatement {
  const p = new SqlParams();
  const filters = [
    ...(query.subjectId === undefined ? [] : [`subject_ids @> ARRAY[${p.add(query.subjectId)}::uuid]`]),
    ...(query.actorId === undefined ? [] : [`actor_id = ${p.add(query.actorId)}::uuid`]),
    // A range in a generic plan (see idAfter in keyset-page.ts), not "$n IS NULL OR seq < $n".
    `seq < COALESCE(${p.add(query.beforeSeq ?? null)}::bigint, 9223372036854775807)`,
  ];
  return {
    sql: `SELECT ${ROW_COLUMNS} FROM access_ledger WHERE ${filters.join(' AND ')} ORDER BY access_ledger.seq DESC LIMIT ${p.add(query.limit)}`,
    params: p.values,
  };
}

/**
 * The access ledger's one reader and writer. An append locks the single head row FOR UPDATE for
 * its statement: every api process appends to one gapless chain, and no session state is
 * involved, so it works through PgBouncer in transaction mode too.
 */
@Injectable()
export class AccessLedgerRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(record: AccessRecord): Promise<LedgerHead> {
    const [appended] = await this.appendMany([record]);
    return appended as LedgerHead;
  }

  /**
   * Several accesses in one statement under one lock of the head (the api's group commit),
   * chained in the order given: the writer hashes each row's fields, and Postgres chains the
   * digests from the head it has locked (a recursive CTE), writes the rows and moves the head.
   * One round trip, no explicit transaction: the lock is held for the statement alone.
   */
  async appendMany(records: readonly AccessRecord[]): Promise<LedgerHead[]> {
    if (records.length === 0) return [];
    const at = new Date();
    const given = records.map((record, i) => {
      const fields = {
        actorId: record.actorId.toLowerCase(),
        subjectIds: lower(record.subjectIds),
        conversationIds: lower(record.conversationIds),
        messageIds: lower(record.messageIds),
        via: record.via,
        ip: record.ip,
        userAgent: record.userAgent === null ? null : record.userAgent.slice(0, USER_AGENT_MAX),
        at,
      };
      return { n: i + 1, ...fields, at: at.toISOString(), digest: ledgerFieldsDigest(fields).toString('hex') };
    });
    const rows: LedgerHead[] = await this.dataSource.query(
      `WITH RECURSIVE
         head AS (SELECT seq, hash FROM access_ledger_head WHERE id = 1 FOR UPDATE),
         given AS (
           SELECT * FROM json_to_recordset($1::json) AS r(n int, "actorId" uuid, "subjectIds" uuid[], "conversationIds" uuid[], "messageIds" uuid[],
                                                          via text, ip text, "userAgent" text, at timestamptz, digest text)),
         chain (n, seq, hash, prev) AS (
           SELECT 0, seq, hash, NULL::bytea FROM head
           UNION ALL
           SELECT g.n, c.seq + 1, sha256(c.hash || int8send(c.seq + 1) || decode(g.digest, 'hex')), c.hash FROM chain c JOIN given g ON g.n = c.n + 1),
         appended AS (
           INSERT INTO access_ledger (seq, actor_id, subject_ids, conversation_ids, message_ids, via, ip, user_agent, at, prev_hash, hash)
           SELECT c.seq, g."actorId", g."subjectIds", g."conversationIds", g."messageIds", g.via, g.ip, g."userAgent", g.at, c.prev, c.hash
           FROM given g JOIN chain c ON c.n = g.n
           RETURNING seq, hash),
         moved AS (
           UPDATE access_ledger_head h SET seq = last.seq, hash = last.hash
           FROM (SELECT seq, hash FROM chain ORDER BY n DESC LIMIT 1) last WHERE h.id = 1 RETURNING 1)
       SELECT seq::text AS seq, hash FROM appended ORDER BY appended.seq`,
      [JSON.stringify(given)],
    );
    if (rows.length !== records.length) throw new Error('access_ledger_head has no row: the AccessLedger migration did not run');
    return rows;
  }

  async head(): Promise<LedgerHead & { anchoredSeq: string }> {
    const [head]: (LedgerHead & { anchoredSeq: string })[] = await this.dataSource.query(
      `SELECT seq::text AS seq, hash, anchored_seq::text AS "anchoredSeq" FROM access_ledger_head WHERE id = 1`,
    );
    if (!head) throw new Error('access_ledger_head has no row: the AccessLedger migration did not run');
    return head;
  }

  /** Rows after `afterSeq`, ascending: the verifier walks the chain with it, a page at a time. */
  walk(afterSeq: string, limit: number): Promise<AccessLedgerRow[]> {
    return this.dataSource.query(`SELECT ${ROW_COLUMNS} FROM access_ledger WHERE seq > $1 ORDER BY access_ledger.seq LIMIT $2`, [afterSeq, limit]);
  }

  /** Newest first, by subject and/or actor. */
  async page(query: AccessLedgerQuery): Promise<AccessLedgerPage> {
    const { sql, params } = accessLedgerPageStatement(query);
    const items: AccessLedgerRow[] = await this.dataSource.query(sql, [...params]);
    const last = items[items.length - 1];
    return { items, next: last && items.length === query.limit ? last.seq : null };
  }

  /**
   * Writes the head (seq and hash) to the audit log as `ledger.anchor`, when the chain has grown
   * since the last anchor; returns it, or null when there was nothing new. The head's lock makes
   * concurrent anchorers (several workers) write each head once.
   */
  async anchor(): Promise<LedgerHead | null> {
    return this.dataSource.transaction(async (manager) => {
      const [head]: (LedgerHead & { anchoredSeq: string })[] = await manager.query(
        `SELECT seq::text AS seq, hash, anchored_seq::text AS "anchoredSeq" FROM access_ledger_head WHERE id = 1 FOR UPDATE`,
      );
      if (!head || BigInt(head.seq) <= BigInt(head.anchoredSeq)) return null;
      await manager.query(
        `WITH anchored AS (INSERT INTO audit_log (action, target, detail) VALUES ('ledger.anchor', $1, $2) RETURNING 1)
         UPDATE access_ledger_head SET anchored_seq = $1::bigint WHERE id = 1`,
        [head.seq, JSON.stringify({ seq: head.seq, hash: head.hash.toString('hex') })],
      );
      return { seq: head.seq, hash: head.hash };
    });
  }

  /** The newest anchor in the audit log, if any: what the verifier checks the chain against. */
  async latestAnchor(): Promise<LedgerHead | null> {
    const [row]: { seq: string; hash: string }[] = await this.dataSource.query(
      `SELECT detail->>'seq' AS seq, detail->>'hash' AS hash FROM audit_log WHERE action = 'ledger.anchor' ORDER BY at DESC, id DESC LIMIT 1`,
    );
    return row ? { seq: row.seq, hash: Buffer.from(row.hash, 'hex') } : null;
  }
}
