import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError } from '@mq/config';
import { ApiConfig, loadApiConfig } from './app/api.config';
import { ApiModule } from './app/api.module';

async function bootstrap(config: ApiConfig): Promise<void> {
  const app = await NestFactory.create(ApiModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.listen(config.port);
  new NestLogger('Bootstrap').log({ port: config.port }, 'api listening');
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
  bootstrap(config).catch((error: unknown) => {
    process.stderr.write(`api: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

main();
