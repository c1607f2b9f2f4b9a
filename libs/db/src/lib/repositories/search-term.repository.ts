import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../prepared-query';
import { SqlStatement } from '../sql-statement';

/** Term hashes as parallel arrays, one element per term of a message. */
export interface TermRows {
  messageIds: readonly string[];
  conversationIds: readonly string[];
  hashes: readonly Buffer[];
}

/** A message whose terms all matched a query. */
export interface SearchTermHit {
  messageId: string;
  conversationId: string;
  seq: number;
  createdAt: Date;
}

const REPLACE = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::bytea[]) AS i(message_id, iv)
), terms AS (
  SELECT * FROM unnest($3::uuid[], $4::bytea[]) AS t(message_id, term_hash)
), live AS (
  -- Shared locks: an edit or delete committing meanwhile waits for this statement, or this one sees it.
  SELECT m.id, m.conversation_id FROM messages m JOIN input i ON i.message_id = m.id AND i.iv = m.iv
  WHERE m.deleted_at IS NULL ORDER BY m.id FOR SHARE OF m
), outdated AS (
  DELETE FROM search_terms s USING live
  WHERE s.message_id = live.id AND NOT EXISTS (SELECT 1 FROM terms t WHERE t.message_id = s.message_id AND t.term_hash = s.term_hash)
), added AS (
  INSERT INTO search_terms (message_id, conversation_id, term_hash, key_version)
  SELECT live.id, live.conversation_id, t.term_hash, $5 FROM live JOIN terms t ON t.message_id = live.id ON CONFLICT DO NOTHING
)
SELECT id FROM live`;

/** `search_terms`: keyed hashes of messages' words (a blind index; see MessageSearchService in libs/messaging). */
@Injectable()
export class SearchTermRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The statement that adds new messages' terms, for OutboxRepository.stage to run with the send's other writes. */
  addStatement(terms: TermRows, keyVersion: number): SqlStatement {
    return {
      sql: `INSERT INTO search_terms (message_id, conversation_id, term_hash, key_version)
            SELECT t.message_id, t.conversation_id, t.term_hash, $4 FROM unnest($1::uuid[], $2::uuid[], $3::bytea[]) AS t(message_id, conversation_id, term_hash)
            ON CONFLICT DO NOTHING`,
      params: [terms.messageIds, terms.conversationIds, terms.hashes, keyVersion],
    };
  }

  /**
   * Replaces each message's terms with `terms`, if the message still has the `iv` it was read
   * with and is not deleted; returns the ids written, in one statement.
   */
  async replace(messages: readonly { id: string; iv: Buffer }[], terms: Pick<TermRows, 'messageIds' | 'hashes'>, keyVersion: number): Promise<string[]> {
    if (messages.length === 0) return [];
    const rows = await preparedQuery<{ id: string }>(this.dataSource, REPLACE, [
      messages.map((m) => m.id),
      messages.map((m) => m.iv),
      terms.messageIds,
      terms.hashes,
      keyVersion,
    ]);
    return rows.map((row) => row.id);
  }

  async removeFor(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length > 0) await preparedQuery(this.dataSource, 'DELETE FROM search_terms WHERE message_id = ANY($1::uuid[])', [messageIds]);
  }

  /** Messages (sent, not deleted) holding every one of `termCount` terms, matched per conversation; newest first. */
  async find(query: { conversationIds: readonly string[]; hashes: readonly Buffer[] }, termCount: number, limit: number): Promise<SearchTermHit[]> {
    const rows: { messageId: string; conversationId: string; seq: string; createdAt: Date }[] = await this.dataSource.query(
      `SELECT m.id AS "messageId", m.conversation_id AS "conversationId", m.seq, m.created_at AS "createdAt"
       FROM (
         SELECT s.message_id FROM search_terms s
         JOIN unnest($1::uuid[], $2::bytea[]) AS q(conversation_id, term_hash)
           ON s.conversation_id = q.conversation_id AND s.term_hash = q.term_hash
         GROUP BY s.message_id HAVING count(DISTINCT s.term_hash) = $3
       ) hit
       JOIN messages m ON m.id = hit.message_id AND m.deleted_at IS NULL AND m.seq IS NOT NULL
       ORDER BY m.created_at DESC LIMIT $4`,
      [query.conversationIds, query.hashes, termCount, limit],
    );
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
  }
}
