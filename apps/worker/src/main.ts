// First: tracing (when on) must patch http, Nest, pg and ioredis before they are required.
import './instrument';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError } from '@mq/config';
import { WorkerConfig, loadWorkerConfig } from './app/worker.config';
import { WorkerModule } from './app/worker.module';

async function bootstrap(config: WorkerConfig): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  // A shutdown that hangs (a stuck job, an unreachable Redis) must not keep the process alive.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`worker: shutdown took longer than ${config.shutdownTimeoutMs + 5_000} ms, exiting\n`);
        process.exit(1);
      }, config.shutdownTimeoutMs + 5_000).unref();
    });
  }
  new NestLogger('Bootstrap').log({ queues: config.queues }, 'worker started');
}

function main(): void {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`worker: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  bootstrap(config).catch((error: unknown) => {
    process.stderr.write(`worker: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

main();
