import { HttpException } from '@nestjs/common';
import type { SocketAckFailure } from '@mq/messaging-contracts';

/** A socket ack's failure: the message REST would give, with its status, code and field. */
export function socketFailure(error: unknown): SocketAckFailure {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    const details = typeof body === 'object' && body !== null ? (body as { message?: unknown; code?: unknown; field?: unknown }) : {};
    const message = Array.isArray(details.message) ? details.message.join('; ') : typeof details.message === 'string' ? details.message : error.message;
    return {
      ok: false,
      error: message,
      status: error.getStatus(),
      code: typeof details.code === 'string' ? details.code : codeForStatus(error.getStatus()),
      ...(typeof details.field === 'string' ? { field: details.field } : {}),
    };
  }
  if (isDatabaseUnavailable(error)) return { ok: false, error: DATABASE_UNAVAILABLE, status: 503, code: 'unavailable' };
  return { ok: false, error: 'Internal server error', status: 500, code: 'internal_error' };
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'unprocessable',
  429: 'too_many_requests',
  500: 'internal_error',
  503: 'unavailable',
};

/** The error shape's `code` where the thrower named none: the status's name. */
export function codeForStatus(status: number): string {
  return CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300']);

/** pg pool exhaustion, a refused or dropped connection, or a server shutting down or full. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    /timeout exceeded when trying to connect|Connection terminated|connection is closed/i.test(error.message)
  );
}

export const DATABASE_UNAVAILABLE = 'The database is busy or unreachable; try again shortly';
