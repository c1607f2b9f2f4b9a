import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { z } from 'zod';

export const logEnvSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type LogEnv = z.infer<typeof logEnvSchema>;

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

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(['/health', '/metrics']);

/** Takes the caller's `x-request-id` when it is sane, otherwise mints one; echoes it back. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** nestjs-pino options: one JSON line per event, request ids, redaction, quiet probes. */
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
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
      transport: config.format === 'pretty' ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
    },
  };
}
