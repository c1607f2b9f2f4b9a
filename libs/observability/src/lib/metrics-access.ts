import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** `METRICS_TOKEN`: when set, `/metrics` (api and worker) answers only `Authorization: Bearer <token>`. */
export const metricsEnvSchema = z.object({
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** Whether a request may read `/metrics`: always without a configured token, else only with that bearer token. */
export function metricsAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
