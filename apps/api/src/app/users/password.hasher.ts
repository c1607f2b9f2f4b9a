import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** OWASP's scrypt minimum (Password Storage Cheat Sheet): N=2^17, r=8, p=1; about 0.4 s and 128 MiB per hash here. */
const PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
/** scrypt needs 128 * N * r bytes; node's default cap (32 MiB) is below that. */
const MAX_MEMORY = 256 * 1024 * 1024;
const KEY_BYTES = 64;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...params, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** scrypt from node:crypto, stored as `scrypt$N$r$p$salt$hash` so parameters can grow later. */
@Injectable()
export class PasswordHasher {
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, PARAMS);
    return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** A hash made with weaker parameters than today's: rehash it at the next successful login. */
  needsRehash(stored: string): boolean {
    const [scheme, n, r, p] = stored.split('$');
    return scheme !== 'scrypt' || Number(n) !== PARAMS.N || Number(r) !== PARAMS.r || Number(p) !== PARAMS.p;
  }

  /** Spends the same time as a real check, so an unknown email is not told apart by timing. */
  async burn(password: string): Promise<void> {
    await derive(password, Buffer.alloc(16), PARAMS);
  }
}
