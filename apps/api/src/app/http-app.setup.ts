import { INestApplication } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { Server } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { realtimeChannelPrefix } from '@mq/messaging';
import { ApiConfig } from './api.config';
import { mountBullBoard } from './bull-board/bull-board.mount';
import { HttpErrorFilter } from './http-error.filter';
import { EdgeValidationPipe } from './input/edge-validation.pipe';
import { InputHygieneGuard } from './input/input-hygiene.guard';
import { buildOpenApiDocument, mountApiDocs } from './openapi/openapi.document';
import { RedisIoAdapter } from './realtime/redis-io.adapter';

/** Idle keep-alive connections are kept this long. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Everything about the HTTP surface that is not a route: body limits, the input hygiene guard
 * and validation (unknown fields are a 400, so nothing can be mass-assigned), errors in Nest's JSON shape, security
 * headers, CORS for the console's origins, and socket.io over Redis. Used by main.ts and by
 * the integration tests, so they test the same app.
 */
export function configureHttpApp(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', {
    limit: config.bodyLimitBytes,
    // Bytes that are not UTF-8 would be decoded to U+FFFD: what the client wrote would be altered, so refuse it.
    verify: (_req: unknown, _res: unknown, raw: Buffer) => {
      if (!isUtf8(raw)) throw Object.assign(new Error('The body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
    },
  });
  express.disable('x-powered-by');
  express.set('trust proxy', 'loopback');
  // The api answers JSON: its pages may load nothing and be framed by no one (Bull Board sets its own policy).
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      },
      crossOriginResourcePolicy: false,
    }),
  );
  app.enableCors({ origin: config.corsOrigins, credentials: true });
  app.useGlobalPipes(new EdgeValidationPipe());
  app.useGlobalGuards(new InputHygieneGuard());
  app.useGlobalFilters(new HttpErrorFilter());
  mountBullBoard(app, config.corsOrigins);
  mountApiDocs(app, buildOpenApiDocument(app));
  app.useWebSocketAdapter(new RedisIoAdapter(app, { channelPrefix: realtimeChannelPrefix(config.queue.prefix), allowedOrigins: config.corsOrigins }));
  app.enableShutdownHooks();
  // Longer than a proxy's idle timeout (the console's next start: 5 s; load balancers: 60 s), so
  // the proxy closes an idle connection first: with Node's default 5 s, a request sent on one
  // the api had just closed failed as the proxy's 500.
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
}
