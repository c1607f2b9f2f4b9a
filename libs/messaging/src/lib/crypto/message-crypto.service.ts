import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { open, seal } from './aes-gcm';
import { ConversationKeyService } from './conversation-keys.service';

export interface EncryptedContent {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  keyVersion: number;
}

export interface StoredContent extends EncryptedContent {
  id: string;
  conversationId: string;
}

/** AAD binds a ciphertext to its row: copied into another message or conversation, it fails to open. */
const contentAad = (messageId: string, conversationId: string, keyVersion: number) => Buffer.from(`message|${messageId}|${conversationId}|${keyVersion}`);

/** Message content in and out of its encrypted form. Plaintext exists only in memory. */
@Injectable()
export class MessageCrypto {
  constructor(private readonly keys: ConversationKeyService) {}

  async encrypt(conversationId: string, messageId: string, content: string, manager?: EntityManager): Promise<EncryptedContent> {
    const { version, key } = await this.keys.activeKey(conversationId, manager);
    const sealed = seal(key, Buffer.from(content, 'utf8'), contentAad(messageId, conversationId, version));
    return { ciphertext: sealed.ciphertext, iv: sealed.iv, authTag: sealed.tag, keyVersion: version };
  }

  /** Encrypts under a given data key (a rotation re-encrypting to the new version). */
  encryptWith(dataKey: { version: number; key: Buffer }, conversationId: string, messageId: string, content: string): EncryptedContent {
    const sealed = seal(dataKey.key, Buffer.from(content, 'utf8'), contentAad(messageId, conversationId, dataKey.version));
    return { ciphertext: sealed.ciphertext, iv: sealed.iv, authTag: sealed.tag, keyVersion: dataKey.version };
  }

  async decrypt(stored: StoredContent, manager?: EntityManager): Promise<string> {
    const key = await this.keys.keyFor(stored.conversationId, stored.keyVersion, manager);
    return open(
      key,
      { ciphertext: stored.ciphertext, iv: stored.iv, tag: stored.authTag },
      contentAad(stored.id, stored.conversationId, stored.keyVersion),
      `message ${stored.id}`,
    ).toString('utf8');
  }
}
