import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

/** A ciphertext that does not open: tampered, moved to another row, or under the wrong key. */
export class DecryptionError extends Error {
  constructor(what: string) {
    super(`Cannot decrypt ${what}: authentication failed (tampered data, wrong key or wrong row)`);
    this.name = 'DecryptionError';
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12; // 96-bit nonce, GCM's native size
const TAG_BYTES = 16;

/** AES-256-GCM with a fresh random IV per call; `aad` binds the ciphertext to its context. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  if (key.length !== KEY_BYTES) throw new Error(`AES-256 key must be ${KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

export function open(key: Buffer, sealed: Sealed, aad: Buffer, what: string): Buffer {
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) throw new DecryptionError(what);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionError(what);
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
