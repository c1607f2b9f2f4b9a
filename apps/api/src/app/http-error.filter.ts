import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';

interface JsonResponse {
  status(code: number): JsonResponse;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
  headersSent: boolean;
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
};

/**
 * Every error in Nest's `{statusCode, message, error}` shape, never a stack trace: HTTP
 * exceptions as they are (with Retry-After on a 429), body-parser's malformed JSON and
 * oversized bodies as 400 and 413, anything else as a logged 500.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<JsonResponse>();
    if (res.headersSent) return;
    if (exception instanceof HttpException) {
      const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
      const body = exception.getResponse();
      res.status(exception.getStatus()).json(
        typeof body === 'string' ? { statusCode: exception.getStatus(), message: body, error: exception.name } : body,
      );
      return;
    }
    const parserError = exception as BodyParserError;
    if (parserError.type === 'entity.parse.failed') {
      res.status(400).json({ statusCode: 400, message: 'Malformed JSON body', error: REASONS[400] });
      return;
    }
    if (parserError.type === 'entity.too.large') {
      res.status(413).json({ statusCode: 413, message: 'Request body too large', error: REASONS[413] });
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json({ statusCode: parserError.status, message: parserError.message ?? 'Bad request', error: 'Bad Request' });
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      // Overload or an outage, not a bug: tell the client to come back rather than that it failed.
      res.setHeader('Retry-After', '1');
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({ statusCode: 503, message: 'The database is busy or unreachable; try again shortly', error: 'Service Unavailable' });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ statusCode: 500, message: 'Internal server error', error: REASONS[500] });
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300']);

/** pg pool exhaustion, a refused or dropped connection, or a server shutting down or full. */
function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    /timeout exceeded when trying to connect|Connection terminated|connection is closed/i.test(error.message)
  );
}
