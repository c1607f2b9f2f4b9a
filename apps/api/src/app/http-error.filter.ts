import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ApiErrorBody } from '@mq/messaging-contracts';
import { DATABASE_UNAVAILABLE, codeForStatus, isDatabaseUnavailable } from './input/error-body.helper';

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
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function errorBody(statusCode: number, message: string, code?: string, field?: string): ApiErrorBody {
  return {
    statusCode,
    message,
    error: REASONS[statusCode] ?? (statusCode >= 500 ? 'Error' : 'Bad Request'),
    code: code ?? codeForStatus(statusCode),
    ...(field ? { field } : {}),
  };
}

function fromHttpException(exception: HttpException): ApiErrorBody {
  const status = exception.getStatus();
  const body = exception.getResponse();
  if (typeof body === 'string') return errorBody(status, body);
  const { message, code, field } = body as { message?: unknown; code?: unknown; field?: unknown };
  const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
  return errorBody(status, text, typeof code === 'string' ? code : undefined, typeof field === 'string' ? field : undefined);
}

/**
 * Every error in one shape (ApiErrorBody), never a stack trace: HTTP exceptions as they are (with
 * Retry-After on a 429), body-parser's malformed JSON, bodies that are not UTF-8 and oversized
 * bodies as 400 and 413, a database outage as 503, anything else as a logged 500.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<JsonResponse>();
    if (res.headersSent) return;
    const send = (body: ApiErrorBody) => res.status(body.statusCode).json(body);
    if (exception instanceof HttpException) {
      const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
      send(fromHttpException(exception));
      return;
    }
    const parserError = exception as BodyParserError;
    if (parserError.type === 'entity.parse.failed') return void send(errorBody(400, 'Malformed JSON body', 'malformed_json', 'body'));
    if (parserError.type === 'entity.too.large') return void send(errorBody(413, 'Request body too large', 'payload_too_large', 'body'));
    if (parserError.type === 'encoding.invalid') return void send(errorBody(400, 'The body is not valid UTF-8', 'invalid_utf8', 'body'));
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return void send(errorBody(parserError.status, parserError.message ?? 'Bad request'));
    }
    if (isDatabaseUnavailable(exception)) {
      // Overload or an outage, not a bug: tell the client to come back rather than that it failed.
      res.setHeader('Retry-After', '1');
      return void send(errorBody(HttpStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE));
    }
    this.logger.error({ err: exception }, 'unhandled error');
    send(errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error'));
  }
}
