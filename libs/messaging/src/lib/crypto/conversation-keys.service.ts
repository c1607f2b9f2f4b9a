import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EncryptionKeyEntity, EncryptionKeyRepository } from '@mq/db';
import { newDataKey, open, seal } from './aes-gcm';
import { LRUCache } from 'lru-cache';
import { MasterKeyring } from './master-keyring';

export interface DataKey {
  conversationId: string;
  version: number;
  key: Buffer;
}

const wrapAad = (conversationId: string, version: number, masterKeyId: string) => Buffer.from(`conversation-key|${conversationId}|${version}|${masterKeyId}`);

/** A data key `rewrapStale` could not unwrap, left as it was. */
export interface UnreadableKey {
  id: string;
  conversationId: string;
  version: number;
  reason: string;
}

export interface RewrapStep {
  rewrapped: number;
  unreadable: UnreadableKey[];
}

/** How long a cached "active version" is trusted; rotation writes are picked up within this. */
const ACTIVE_VERSION_TTL_MS = 5_000;

/**
 * Per-conversation data keys (envelope encryption): random AES-256 keys, stored only wrapped
 * by the master key. Unwrapped keys are cached in memory (immutable per version), so a
 * message costs no key query once its conversation is warm.
 */
@Injectable()
export class ConversationKeyService {
  private readonly keys = new LRUCache<string, Buffer>({ max: 20_000 });
  private readonly active = new LRUCache<string, { version: number; at: number }>({ max: 20_000 });

  constructor(
    private readonly rows: EncryptionKeyRepository,
    @Inject(MasterKeyring) private readonly keyring: MasterKeyring,
  ) {}

  /** Creates a conversation's data key (call inside the transaction creating the conversation). */
  async createKey(manager: EntityManager, conversationId: string, version = 1): Promise<DataKey> {
    const key = newDataKey();
    const master = this.keyring.current;
    const wrapped = seal(master.key, key, wrapAad(conversationId, version, master.id));
    await this.rows.insert(manager, {
      conversationId,
      version,
      wrappedKey: wrapped.ciphertext,
      wrapIv: wrapped.iv,
      wrapTag: wrapped.tag,
      masterKeyId: master.id,
    });
    return { conversationId, version, key };
  }

  /** The key new messages of the conversation are encrypted with. */
  async activeKey(conversationId: string, manager?: EntityManager): Promise<DataKey> {
    const cached = this.active.get(conversationId);
    if (cached && Date.now() - cached.at < ACTIVE_VERSION_TTL_MS) {
      const key = this.keys.get(`${conversationId}:${cached.version}`);
      if (key) return { conversationId, version: cached.version, key };
    }
    const row = await this.rows.findActive(conversationId, manager);
    if (!row) throw new Error(`Conversation ${conversationId} has no active encryption key`);
    const key = this.unwrap(row);
    this.active.set(conversationId, { version: row.version, at: Date.now() });
    return { conversationId, version: row.version, key };
  }

  /** The key of one version (for reading messages written under it). */
  async keyFor(conversationId: string, version: number, manager?: EntityManager): Promise<Buffer> {
    const cached = this.keys.get(`${conversationId}:${version}`);
    if (cached) return cached;
    const row = await this.rows.find(conversationId, version, manager);
    if (!row) throw new Error(`Conversation ${conversationId} has no encryption key version ${version}`);
    return this.unwrap(row);
  }

  /**
   * Makes a new data key version the active one and retires the others (they stay, wrapped,
   * so messages under them remain readable until re-encrypted). Call inside a transaction.
   * Nothing is cached here: the transaction may yet roll back, and a cached version that never
   * committed would have messages encrypted under a key that does not exist. Call `forget`
   * once it has committed.
   */
  async rotateKey(manager: EntityManager, conversationId: string): Promise<DataKey> {
    const latest = await this.rows.retireActive(manager, conversationId);
    return this.createKey(manager, conversationId, latest + 1);
  }

  /**
   * Re-wraps up to `limit` data keys not wrapped by the current master key (a master-key
   * rotation). The data keys themselves do not change. A key that does not unwrap (its master
   * key is not configured, or its wrapping is damaged) is left as it is and returned, so one bad
   * key cannot stop the rest: pass those back in `exclude` to move past them.
   */
  async rewrapStale(manager: EntityManager, limit: number, exclude: readonly string[] = []): Promise<RewrapStep> {
    const master = this.keyring.current;
    const rows = await this.rows.lockWrappedByOther(manager, master.id, exclude, limit);
    const step: RewrapStep = { rewrapped: 0, unreadable: [] };
    for (const row of rows) {
      let key: Buffer;
      try {
        key = this.unwrap(row);
      } catch (error) {
        step.unreadable.push({ id: row.id, conversationId: row.conversationId, version: row.version, reason: (error as Error).message });
        continue;
      }
      const wrapped = seal(master.key, key, wrapAad(row.conversationId, row.version, master.id));
      await this.rows.rewrap(manager, row.id, { wrappedKey: wrapped.ciphertext, wrapIv: wrapped.iv, wrapTag: wrapped.tag, masterKeyId: master.id });
      step.rewrapped++;
    }
    return step;
  }

  /** Forgets cached keys (after a rotation changed what is active). */
  forget(conversationId: string): void {
    this.active.delete(conversationId);
  }

  private unwrap(row: EncryptionKeyEntity): Buffer {
    const master = this.keyring.get(row.masterKeyId);
    const key = open(
      master.key,
      { ciphertext: row.wrappedKey, iv: row.wrapIv, tag: row.wrapTag },
      wrapAad(row.conversationId, row.version, row.masterKeyId),
      `the data key of conversation ${row.conversationId} v${row.version}`,
    );
    this.keys.set(`${row.conversationId}:${row.version}`, key);
    return key;
  }
}
