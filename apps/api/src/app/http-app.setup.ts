import { BadRequestException, INestApplication, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { realtimeChannelPrefix } from '@mq/messaging';
import { ApiConfig } from './api.config';
import { mountBullBoard } from './bull-board/bull-board.mount';
import { HttpErrorFilter } from './http-error.filter';
import { RedisIoAdapter } from './realtime/redis-io.adapter';

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? path + message.slice(error.property.length) : `${path}: ${message}`,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/**
 * Everything about the HTTP surface that is not a route: body limits, validation (unknown
 * fields are a 400, so nothing can be mass-assigned), errors in Nest's JSON shape, security
 * headers, CORS for the console's origins, and socket.io over Redis. Used by main.ts and by
 * the integration tests, so they test the same app.
 */
export function configureHttpApp(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: config.bodyLimitBytes });
  express.disable('x-powered-by');
  express.set('trust proxy', 'loopback');
  app.use(helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: false }));
  app.enableCors({ origin: config.corsOrigins, credentials: true });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new BadRequestException(describe(errors).join('; ')),
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter());
  mountBullBoard(app, config.corsOrigins);
  app.useWebSocketAdapter(
    new RedisIoAdapter(app, { channelPrefix: realtimeChannelPrefix(config.queue.prefix), allowedOrigins: config.corsOrigins }),
  );
  app.enableShutdownHooks();
}
