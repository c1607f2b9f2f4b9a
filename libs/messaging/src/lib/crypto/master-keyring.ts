import { z } from 'zod';

export interface MasterKey {
  id: string;
  key: Buffer;
}

/**
 * The master keys from the environment: the current one wraps new data keys; previous ones
 * (during a master-key rotation) still unwrap the data keys they wrapped until re-wrapped.
 */
export class MasterKeyring {
  private readonly byId: ReadonlyMap<string, MasterKey>;

  constructor(
    readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    this.byId = new Map([...previous, current].map((k) => [k.id, k]));
  }

  get(id: string): MasterKey {
    const key = this.byId.get(id);
    if (!key) throw new Error(`Master key "${id}" is not configured (MESSAGE_ENCRYPTION_KEY / MESSAGE_ENCRYPTION_PREVIOUS_KEYS)`);
    return key;
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function decodeKey(value: string): Buffer | undefined {
  const key = Buffer.from(value, 'base64');
  return key.length === 32 && key.toString('base64').replace(/=+$/, '') === value.replace(/=+$/, '') ? key : undefined;
}

/**
 * A development-only master key, so `npm start` works out of the box. Production has no
 * default: it must bring its own key.
 */
export const DEVELOPMENT_MASTER_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1rZXktZG8tbm90LXVzZSE=';

export function encryptionEnvSchemaFor(nodeEnv: string | undefined) {
  const key = z
    .string({ error: 'MESSAGE_ENCRYPTION_KEY is required in production (32 random bytes, base64: openssl rand -base64 32)' })
    .refine((value) => decodeKey(value) !== undefined, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  return z.object({
    MESSAGE_ENCRYPTION_KEY: nodeEnv === 'production' ? key : key.default(DEVELOPMENT_MASTER_KEY),
    MESSAGE_ENCRYPTION_KEY_ID: z.string().regex(KEY_ID, 'must be 1-32 letters, digits, - or _').default('k1'),
    /** `id:base64,id:base64`: master keys being rotated away from, still needed to unwrap. */
    MESSAGE_ENCRYPTION_PREVIOUS_KEYS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const keys: MasterKey[] = [];
        for (const entry of value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)) {
          const [id, encoded] = entry.split(':');
          const decoded = encoded ? decodeKey(encoded) : undefined;
          if (!id || !KEY_ID.test(id) || !decoded) {
            ctx.addIssue({ code: 'custom', message: 'must be a comma list of id:base64 (32-byte) keys' });
            return z.NEVER;
          }
          keys.push({ id, key: decoded });
        }
        return keys;
      }),
  });
}

export type EncryptionEnv = z.infer<ReturnType<typeof encryptionEnvSchemaFor>>;

export function toMasterKeyring(env: EncryptionEnv): MasterKeyring {
  const current = decodeKey(env.MESSAGE_ENCRYPTION_KEY);
  if (!current) throw new Error('MESSAGE_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return new MasterKeyring({ id: env.MESSAGE_ENCRYPTION_KEY_ID, key: current }, env.MESSAGE_ENCRYPTION_PREVIOUS_KEYS);
}
