import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * A W3C `traceparent` (version 00): trace id, parent span id, flags, all lowercase hex, never
 * all-zero ids. It is the only non-id string a job payload or a socket event may carry: 55
 * characters of hex cannot hold message content.
 */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Its trace id (32 hex digits), or undefined when it is not a traceparent. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return traceparent && TRACEPARENT_PATTERN.test(traceparent) ? traceparent.slice(3, 35) : undefined;
}

/** A W3C traceparent; with `allowEmpty`, '' too (a message of a batch that has none). */
export function IsTraceparent(options: ValidationOptions & { allowEmpty?: boolean } = {}): PropertyDecorator {
  const { allowEmpty = false, ...validationOptions } = options;
  return ValidateBy(
    {
      name: 'isTraceparent',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && ((allowEmpty && value === '') || TRACEPARENT_PATTERN.test(value)),
        defaultMessage: () => `$property must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)${allowEmpty ? ' or empty' : ''}`,
      },
    },
    validationOptions,
  );
}

/** The trace contexts a job payload carries: a send job's `traceparents`, its receipts' `traceparent` ('' and absent ones left out). */
export function traceparentsOf(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null) return [];
  const { traceparents, receipts } = payload as { traceparents?: unknown; receipts?: unknown };
  const found = Array.isArray(traceparents)
    ? traceparents
    : Array.isArray(receipts)
      ? receipts.map((r) => (r as { traceparent?: unknown } | null)?.traceparent)
      : [];
  return found.filter((t): t is string => typeof t === 'string' && TRACEPARENT_PATTERN.test(t));
}
