// First: tracing (when on) must patch http, Nest, pg and ioredis before they are required.
import './instrument';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError } from '@mq/config';
import { ensureDatabaseExists, redactDatabaseUrl, runMigrations } from '@mq/db';
import { ApiConfig, loadApiConfig } from './app/api.config';
import { ApiModule } from './app/api.module';
import { configureHttpApp } from './app/http-app.setup';
import { writeOpenApi } from './app/openapi/openapi.command';

async function bootstrap(config: ApiConfig): Promise<void> {
  const app = await NestFactory.create(ApiModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, config);
  await app.listen(config.port);
  new NestLogger('Bootstrap').log({ port: config.port }, 'api listening');
}

async function migrate(url: string): Promise<void> {
  const created = await ensureDatabaseExists(url);
  const ran = await runMigrations(url);
  process.stdout.write(`api migrate: ${redactDatabaseUrl(url)}${created ? ' (created)' : ''}: ${ran.length ? `ran ${ran.join(', ')}` : 'up to date'}\n`);
}

function main(): void {
  let config: ApiConfig;
  try {
    config = loadApiConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`api: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  if (process.argv[2] === 'migrate') {
    // `node main.js migrate`: the production image's one-shot schema step (docker compose runs it before the api).
    migrate(config.database.directUrl).catch((error: unknown) => {
      process.stderr.write(`api migrate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
    return;
  }
  if (process.argv[2] === 'openapi') {
    // `node main.js openapi <file>`: the OpenAPI document, without connecting to anything.
    writeOpenApi(config, process.argv[3]).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`api openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
    return;
  }
  bootstrap(config).catch((error: unknown) => {
    process.stderr.write(`api: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

main();
