import type { BenchUser } from './users.seeder';
import { SoakSample } from './soak.verdict';

/** When the first of the users' tokens expires (ms since the epoch, from the JWT's `exp`); undefined if unknown. */
export function tokensExpireAt(users: readonly BenchUser[]): number | undefined {
  let earliest: number | undefined;
  for (const user of users) {
    try {
      const payload = JSON.parse(Buffer.from(user.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof payload.exp === 'number' && (earliest === undefined || payload.exp * 1000 < earliest)) earliest = payload.exp * 1000;
    } catch {
      // Not a JWT: no expiry known.
    }
  }
  return earliest;
}

/**
 * Warns (once) when, at the rate so far, the soak would outlast the users' tokens: the api then
 * refuses the sends and cuts the sockets, and the soak fails hours in. Better to know after a minute.
 */
export function outlastsTokens(expiresAt: number | undefined, sample: SoakSample, messages: number): string | undefined {
  if (expiresAt === undefined || sample.seconds < 60 || sample.accepted === 0) return undefined;
  const remainingSeconds = ((messages - sample.accepted) / sample.accepted) * sample.seconds;
  if (Date.now() + remainingSeconds * 1000 < expiresAt) return undefined;
  const hours = (s: number): string => (s / 3600).toFixed(1);
  return (
    `soak: at ${Math.round(sample.accepted / sample.seconds)} msgs/s the remaining ${messages - sample.accepted} messages take ~${hours(remainingSeconds)} h, ` +
    `but the users' tokens expire in ${hours((expiresAt - Date.now()) / 1000)} h: expect rejections then (use a smaller --soak)`
  );
}
