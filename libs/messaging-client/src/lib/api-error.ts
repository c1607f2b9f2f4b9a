import type { ApiErrorBody } from '@mq/messaging-contracts';

/** A non-2xx answer from the api. */
export class ApiError extends Error {
  /** The Nest error phrase (`Bad Request`, `Conflict`...), when the body has one. */
  readonly error: string | undefined;
  /** The body's message (several validation failures arrive joined with `; `), or a short text body. */
  readonly messages: readonly string[];
  /** The body's machine-readable code (`validation_failed`, `not_found`, ...), when it has one. */
  readonly code: string | undefined;
  /** The input at fault (`body.content`), for bad input. */
  readonly field: string | undefined;

  constructor(
    readonly status: number,
    /** The parsed JSON body (usually an `ApiErrorBody`), the raw text, or undefined when empty. */
    readonly body: unknown,
    readonly method: string,
    readonly path: string,
    /** From a 429's (or 503's) `Retry-After`, in whole seconds; null when absent. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    const messages = messagesOf(body);
    super(`${method} ${path} -> ${status}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`);
    this.name = 'ApiError';
    this.messages = messages;
    const known = isApiErrorBody(body) ? body : undefined;
    this.error = typeof known?.error === 'string' ? known.error : undefined;
    this.code = typeof known?.code === 'string' ? known.code : undefined;
    this.field = typeof known?.field === 'string' ? known.field : undefined;
  }
}

/** The request did not complete within the client's `timeoutMs` (it was aborted). */
export class RequestTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${path} timed out after ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** No HTTP answer at all (refused connection, DNS, CORS...); `cause` holds fetch's error. */
export class NetworkError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${method} ${path} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'NetworkError';
  }
}

/** The api's error shape, read defensively: only `statusCode` and `message` are required here. */
function isApiErrorBody(value: unknown): value is Pick<ApiErrorBody, 'statusCode' | 'message'> & Partial<Record<'error' | 'code' | 'field', unknown>> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof ApiErrorBody, unknown>>;
  return typeof candidate.statusCode === 'number' && typeof candidate.message === 'string';
}

function messagesOf(body: unknown): string[] {
  if (isApiErrorBody(body)) return [body.message];
  // A proxy's HTML error page is not worth echoing; a short text body is.
  if (typeof body === 'string' && body.length > 0 && body.length <= 200 && !body.trimStart().startsWith('<')) {
    return [body];
  }
  return [];
}

/**
 * `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3); both become
 * whole seconds from `now`, never negative.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
