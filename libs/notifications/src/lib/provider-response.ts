const EMAIL_ADDRESS = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;
// International numbers (+ and 6-15 digits, maybe spaced) and any long digit run: Twilio and
// some SMTP servers quote the number or address they refused.
const PHONE_NUMBER = /\+\d[\d ().-]{5,20}\d|\d{8,}/g;
const MAX_PROVIDER_TEXT = 300;

/**
 * A provider's reply made safe to store and log: addresses and phone numbers are replaced,
 * line breaks flattened and the length bounded. Codes such as `550 5.1.1` or `21211` stay.
 */
export function redactContacts(text: string): string {
  const flat = text.replace(EMAIL_ADDRESS, '[address]').replace(PHONE_NUMBER, '[number]').replace(/\s+/g, ' ').trim();
  return flat.length > MAX_PROVIDER_TEXT ? `${flat.slice(0, MAX_PROVIDER_TEXT - 1)}…` : flat;
}

const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * A `Retry-After` header in milliseconds from now: delta-seconds or an HTTP date. undefined
 * when absent or unreadable; bounded to a day so a broken header cannot park a job for ever.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined, now: number = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  let ms: number;
  if (/^\d+$/.test(raw)) {
    ms = Number(raw) * 1000;
  } else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** A thrown value's Node error code (ECONNREFUSED, ETIMEDOUT...), looking through `cause` as fetch wraps it. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True for the errors an AbortSignal raises: its timeout fired or someone aborted. Checks the
 * name rather than the class: a DOMException is not an `Error` from every realm (fetch's are not under Jest).
 */
export function isAbortError(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}
