import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { z } from 'zod';

/**
 * LOG_FORMAT defaults to `pretty` in development (`npm start`'s terminal is read by a person)
 * and to `json` otherwise (production and tests: read by machines).
 */
export function logEnvSchemaFor(nodeEnv: string | undefined) {
  const development = nodeEnv === undefined || nodeEnv === 'development';
  return z.object({
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).default(development ? 'pretty' : 'json'),
  });
}

export type LogEnv = z.infer<ReturnType<typeof logEnvSchemaFor>>;

export interface LoggingConfig {
  /** `api` or `worker`: every line says which process wrote it. */
  service: string;
  level: LogEnv['LOG_LEVEL'];
  format: LogEnv['LOG_FORMAT'];
}

/**
 * Never logged, wherever they appear: credentials, cookies and message content. Job data
 * holds ids only, but a mistake elsewhere must still not print a message body.
 */
export const REDACTED_PATHS = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'content',
  '*.content',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
]);

/** Query parameters whose values are what people wrote or look for (message search words, names): never logged. */
export const REDACTED_QUERY_PARAMS = Object.freeze(['q', 'search']);

/** A request's url as logged: the path and query, with the values of REDACTED_QUERY_PARAMS censored. */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  for (const name of REDACTED_QUERY_PARAMS) if (query.has(name)) query.set(name, '[redacted]');
  return `${url.slice(0, at)}?${query.toString()}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(['/health', '/metrics']);

/** Takes the caller's `x-request-id` when it is sane, otherwise mints one; echoes it back. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Nest's start-up chatter, a line per module and per route: kept in JSON, left out of a terminal. */
const STARTUP_CONTEXTS: ReadonlySet<unknown> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController']);

/** `POST /auth/login 200 12 ms`: the path only (a query string can carry search words). */
function requestLine(req: IncomingMessage, res: ServerResponse): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return `${req.method} ${url.split('?')[0]} ${res.statusCode}`;
}

/**
 * For a terminal: one short line per request (without this, pino-http's line carries every
 * response header, ~900 characters), no start-up chatter, and only the fields a person reads.
 */
function prettyParams(): Options {
  return {
    customSuccessMessage: (req, res, responseTime) => `${requestLine(req, res)} ${Math.round(responseTime)} ms`,
    customErrorMessage: (req, res, error) => `${requestLine(req, res)}: ${error.message}`,
    hooks: {
      logMethod(args, method) {
        const [first] = args as unknown[];
        if (typeof first === 'object' && first !== null && STARTUP_CONTEXTS.has((first as { context?: unknown }).context)) return;
        method.apply(this, args);
      },
    },
    transport: {
      target: 'pino-pretty',
      options: {
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,service,context,requestId,req,res,responseTime',
        messageFormat: '{if context}{context}: {end}{msg}',
      },
    },
  };
}

/** nestjs-pino options: one JSON line per event, request ids, redaction, quiet probes; or short lines for a terminal. */
export function loggerParams(config: LoggingConfig): Params {
  return {
    pinoHttp: {
      level: config.level,
      base: { service: config.service, pid: process.pid },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      genReqId: requestIdFor,
      customAttributeKeys: { reqId: 'requestId' },
      autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0]) },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url ?? '') }),
        // The status only: the response headers are the same security headers every time, and
        // serialising them was most of each request's ~1.1 KB line.
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      ...(config.format === 'pretty' ? prettyParams() : {}),
    },
  };
}
