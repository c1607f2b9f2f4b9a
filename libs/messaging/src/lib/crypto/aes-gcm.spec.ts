import { randomBytes } from 'node:crypto';
import { DecryptionError, newDataKey, open, seal } from './aes-gcm';
import { DEVELOPMENT_MASTER_KEY, encryptionEnvSchemaFor, toMasterKeyring } from './master-keyring';

describe('AES-256-GCM sealing', () => {
  const key = newDataKey();
  const aad = Buffer.from('message|m1|c1|1');

  it('round-trips and uses a fresh 96-bit IV every time', () => {
    const a = seal(key, Buffer.from('hello'), aad);
    const b = seal(key, Buffer.from('hello'), aad);
    expect(a.iv).toHaveLength(12);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(open(key, a, aad, 'x').toString()).toBe('hello');
  });

  it('refuses a flipped tag bit, a flipped ciphertext bit, another AAD and another key', () => {
    const sealed = seal(key, Buffer.from('hello'), aad);
    const tag = Buffer.from(sealed.tag);
    tag[0] = (tag[0] as number) ^ 1;
    expect(() => open(key, { ...sealed, tag }, aad, 'message m1')).toThrow(DecryptionError);
    const ciphertext = Buffer.from(sealed.ciphertext);
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    expect(() => open(key, { ...sealed, ciphertext }, aad, 'message m1')).toThrow(/Cannot decrypt message m1/);
    expect(() => open(key, sealed, Buffer.from('message|m2|c1|1'), 'm')).toThrow(DecryptionError);
    expect(() => open(randomBytes(32), sealed, aad, 'm')).toThrow(DecryptionError);
  });
});

describe('encryption config', () => {
  it('requires a 32-byte base64 key in production, defaults one in development', () => {
    expect(encryptionEnvSchemaFor('production').safeParse({}).success).toBe(false);
    expect(encryptionEnvSchemaFor('production').safeParse({ MESSAGE_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }).success).toBe(false);
    const dev = encryptionEnvSchemaFor('development').parse({});
    expect(dev.MESSAGE_ENCRYPTION_KEY).toBe(DEVELOPMENT_MASTER_KEY);
    expect(toMasterKeyring(dev).current).toEqual({ id: 'k1', key: Buffer.from(DEVELOPMENT_MASTER_KEY, 'base64') });
  });

  it('reads previous master keys for rotation', () => {
    const old = randomBytes(32).toString('base64');
    const env = encryptionEnvSchemaFor('production').parse({
      MESSAGE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      MESSAGE_ENCRYPTION_KEY_ID: 'k2',
      MESSAGE_ENCRYPTION_PREVIOUS_KEYS: `k1:${old}`,
    });
    const keyring = toMasterKeyring(env);
    expect(keyring.current.id).toBe('k2');
    expect(keyring.get('k1').key.toString('base64')).toBe(old);
    expect(() => keyring.get('k0')).toThrow(/Master key "k0" is not configured/);
  });
});
