import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@mq/db';
import { ConversationKeyService } from '../crypto/conversation-keys.service';
import { LruCache } from '../crypto/lru-cache';
import type { SqlStatement } from '../outbox/outbox.publisher';
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
  /** Derived search keys (version 1 data keys never change): one HMAC derivation per conversation, not per message. */
  private readonly searchKeys = new LruCache<string, Buffer>(20_000);

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ConversationKeyService,
  ) {}

  /**
   * The statement that indexes new messages (nothing indexed yet), for the caller to run in the
   * transaction that sends them: the content is decrypted there already, and the messages are
   * locked, so no edit can slip in between. Edits and deletes go through `index`.
   */
  async indexNew(entries: readonly { message: { id: string; conversationId: string }; content: string }[]): Promise<SqlStatement | undefined> {
    const rows = await this.termRows(entries);
    if (rows.messageIds.length === 0) return undefined;
    return {
      sql: `INSERT INTO search_terms (message_id, conversation_id, term_hash, key_version)
            SELECT t.message_id, t.conversation_id, t.term_hash, $4 FROM unnest($1::uuid[], $2::uuid[], $3::bytea[]) AS t(message_id, conversation_id, term_hash)
            ON CONFLICT DO NOTHING`,
      params: [rows.messageIds, rows.conversationIds, rows.hashes, SEARCH_KEY_VERSION],
    };
  }

  /**
   * Replaces each message's index entries with those of its content, read from the message
   * while it had this `iv` (every edit or re-encryption takes a fresh one), all in one
   * statement. A message that changed or was deleted since is left alone: the answer holds the
   * ids written (with their term counts); read the others again.
   */
  async index(entries: readonly { message: { id: string; conversationId: string; iv: Buffer }; content: string }[]): Promise<Map<string, number>> {
    if (entries.length === 0) return new Map();
    const { messageIds: termMessageIds, hashes: termHashes, counts } = await this.termRows(entries);
    const rows = await preparedQuery<{ id: string }>(
      this.dataSource,
      `WITH input AS (
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
       SELECT id FROM live`,
      [entries.map((e) => e.message.id), entries.map((e) => e.message.iv), termMessageIds, termHashes, SEARCH_KEY_VERSION],
    );
    return new Map(rows.map((row) => [row.id, counts.get(row.id) ?? 0]));
  }

  /** Removes the messages' index entries (deleted or gone). */
  async removeMany(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await preparedQuery(this.dataSource, 'DELETE FROM search_terms WHERE message_id = ANY($1::uuid[])', [messageIds]);
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

  /** Each message's term hashes, as parallel arrays (one element per term), and the count per message. */
  private async termRows(entries: readonly { message: { id: string; conversationId: string }; content: string }[]) {
    const messageIds: string[] = [];
    const conversationIds: string[] = [];
    const hashes: Buffer[] = [];
    const counts = new Map<string, number>();
    for (const { message, content } of entries) {
      const key = await this.searchKey(message.conversationId);
      const terms = searchTerms(content);
      counts.set(message.id, terms.length);
      for (const term of terms) {
        messageIds.push(message.id);
        conversationIds.push(message.conversationId);
        hashes.push(termHash(key, term));
      }
    }
    return { messageIds, conversationIds, hashes, counts };
  }

  private async searchKey(conversationId: string, manager?: EntityManager): Promise<Buffer> {
    const cached = this.searchKeys.get(conversationId);
    if (cached) return cached;
    const key = deriveSearchKey(await this.keys.keyFor(conversationId, SEARCH_KEY_VERSION, manager), conversationId);
    this.searchKeys.set(conversationId, key);
    return key;
  }
}
