import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
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

  /** Replaces a message's index entries with those of `content` (empty content: removes them). */
  async index(messageId: string, conversationId: string, content: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const key = await this.searchKey(conversationId, manager);
    const hashes = searchTerms(content).map((term) => termHash(key, term));
    await manager.query('DELETE FROM search_terms WHERE message_id = $1', [messageId]);
    if (hashes.length > 0) {
      await manager.query(
        `INSERT INTO search_terms (message_id, conversation_id, term_hash, key_version)
         SELECT $1, $2, unnest($3::bytea[]), $4 ON CONFLICT DO NOTHING`,
        [messageId, conversationId, hashes, SEARCH_KEY_VERSION],
      );
    }
    return hashes.length;
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
