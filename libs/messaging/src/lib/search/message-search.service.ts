import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { ConversationKeyService } from '../crypto/conversation-keys.service';
import { deriveSearchKey, searchTerms, termHash } from './blind-index';

/** The key version search keys derive from; conversation keys never delete it. */
const SEARCH_KEY_VERSION = 1;

export interface SearchHit {
  messageId: string;
  conversationId: string;
  seq: number;
  createdAt: Date;
}

/**
 * Search without plaintext at rest: a message's words are stored as keyed hashes, keyed per
 * conversation, so equal words in two conversations look unrelated and no word is readable
 * from the table. A query hashes its words the same way, in each conversation it may see.
 */
@Injectable()
export class MessageSearchService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ConversationKeyService,
  ) {}

  /**
   * Replaces a message's index entries with those of `content`, read from the message while
   * it had this `iv` (every edit or re-encryption takes a fresh one), in one statement. If the
   * message changed or was deleted since, writes nothing and answers undefined (read it again).
   */
  async index(message: { id: string; conversationId: string; iv: Buffer }, content: string): Promise<number | undefined> {
    const key = await this.searchKey(message.conversationId);
    const hashes = searchTerms(content).map((term) => termHash(key, term));
    const rows = await preparedQuery<{ current: boolean }>(
      this.dataSource,
      `WITH live AS (
         -- Shared lock: an edit or delete committing meanwhile waits for this statement, or this one sees it.
         SELECT id FROM messages WHERE id = $1 AND deleted_at IS NULL AND iv = $5::bytea FOR SHARE
       ), outdated AS (
         DELETE FROM search_terms WHERE message_id = $1 AND EXISTS (SELECT 1 FROM live) AND NOT (term_hash = ANY($3::bytea[]))
       ), added AS (
         INSERT INTO search_terms (message_id, conversation_id, term_hash, key_version)
         SELECT live.id, $2, hash, $4 FROM live, unnest($3::bytea[]) AS hash ON CONFLICT DO NOTHING
       )
       SELECT EXISTS (SELECT 1 FROM live) AS current`,
      [message.id, message.conversationId, hashes, SEARCH_KEY_VERSION, message.iv],
    );
    return rows[0]?.current ? hashes.length : undefined;
  }

  async remove(messageId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('DELETE FROM search_terms WHERE message_id = $1', [messageId]);
  }

  /** Messages containing every word of `query`, in the given conversations (already access-checked), newest first. */
  async search(conversationIds: readonly string[], query: string, limit = 50): Promise<SearchHit[]> {
    const terms = searchTerms(query);
    if (terms.length === 0 || conversationIds.length === 0) return [];
    const pairs: { conversationId: string; hash: Buffer }[] = [];
    for (const conversationId of conversationIds) {
      const key = await this.searchKey(conversationId);
      for (const term of terms) pairs.push({ conversationId, hash: termHash(key, term) });
    }
    const rows: { message_id: string; conversation_id: string; seq: string; created_at: Date }[] = await this.dataSource.query(
      `SELECT m.id AS message_id, m.conversation_id, m.seq, m.created_at
       FROM (
         SELECT s.message_id FROM search_terms s
         JOIN unnest($1::uuid[], $2::bytea[]) AS q(conversation_id, term_hash)
           ON s.conversation_id = q.conversation_id AND s.term_hash = q.term_hash
         GROUP BY s.message_id HAVING count(DISTINCT s.term_hash) = $3
       ) hit
       JOIN messages m ON m.id = hit.message_id AND m.deleted_at IS NULL AND m.seq IS NOT NULL
       ORDER BY m.created_at DESC LIMIT $4`,
      [pairs.map((p) => p.conversationId), pairs.map((p) => p.hash), terms.length, limit],
    );
    return rows.map((r) => ({ messageId: r.message_id, conversationId: r.conversation_id, seq: Number(r.seq), createdAt: r.created_at }));
  }

  private async searchKey(conversationId: string, manager?: EntityManager): Promise<Buffer> {
    return deriveSearchKey(await this.keys.keyFor(conversationId, SEARCH_KEY_VERSION, manager), conversationId);
  }
}
