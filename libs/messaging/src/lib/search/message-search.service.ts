import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SearchTermHit, SearchTermRepository, SqlStatement } from '@mq/db';
import { ConversationKeyService } from '../crypto/conversation-keys.service';
import { LRUCache } from 'lru-cache';
import { deriveSearchKey, searchTerms, termHash } from './blind-index';

/** The key version search keys derive from; conversation keys never delete it. */
const SEARCH_KEY_VERSION = 1;

/**
 * Search without plaintext at rest: a message's words are stored as keyed hashes, keyed per
 * conversation, so equal words in two conversations look unrelated and no word is readable
 * from the table. A query hashes its words the same way, in each conversation it may see.
 */
@Injectable()
export class MessageSearchService {
  /** Derived search keys (version 1 data keys never change): one HMAC derivation per conversation, not per message. */
  private readonly searchKeys = new LRUCache<string, Buffer>({ max: 20_000 });

  constructor(
    private readonly terms: SearchTermRepository,
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
    return this.terms.addStatement(rows, SEARCH_KEY_VERSION);
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
    const written = await this.terms.replace(
      entries.map((e) => e.message),
      { messageIds: termMessageIds, hashes: termHashes },
      SEARCH_KEY_VERSION,
    );
    return new Map(written.map((id) => [id, counts.get(id) ?? 0]));
  }

  /** Removes the messages' index entries (deleted or gone). */
  async removeMany(messageIds: readonly string[]): Promise<void> {
    await this.terms.removeFor(messageIds);
  }

  /** Messages containing every word of `query`, in the given conversations (already access-checked), newest first. */
  async search(conversationIds: readonly string[], query: string, limit = 50): Promise<SearchTermHit[]> {
    const terms = searchTerms(query);
    if (terms.length === 0 || conversationIds.length === 0) return [];
    const pairs: { conversationId: string; hash: Buffer }[] = [];
    for (const conversationId of conversationIds) {
      const key = await this.searchKey(conversationId);
      for (const term of terms) pairs.push({ conversationId, hash: termHash(key, term) });
    }
    return this.terms.find({ conversationIds: pairs.map((p) => p.conversationId), hashes: pairs.map((p) => p.hash) }, terms.length, limit);
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
