import { z } from 'zod';
import { nodeEnvSchema, parseEnv } from '@mq/config';
import { databaseEnvSchemaFor } from '@mq/db';
import { LoggingConfig, logEnvSchema } from '@mq/observability';
import { QueueConfig, queueEnvSchema, toQueueConfig } from '@mq/queue';

const portSchema = z.coerce.number().int().min(1).max(65535);

function apiEnvSchema(nodeEnv: string | undefined) {
  return z
    .object({
      ...nodeEnvSchema.shape,
      ...databaseEnvSchemaFor(nodeEnv).shape,
      ...queueEnvSchema.shape,
      ...logEnvSchema.shape,
      PORT: portSchema.default(3333),
      ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
      ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    })
    .refine((env) => Boolean(env.ADMIN_EMAIL) === Boolean(env.ADMIN_PASSWORD), {
      message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together (or neither)',
      path: ['ADMIN_PASSWORD'],
    });
}

/** The api's whole configuration, validated before Nest boots. */
export interface ApiConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  shutdownTimeoutMs: number;
  database: { url: string; poolSize: number };
  queue: QueueConfig;
  logging: LoggingConfig;
  adminBootstrap?: { email: string; password: string };
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = parseEnv(apiEnvSchema(env.NODE_ENV), env);
  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.PORT,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    database: { url: parsed.DATABASE_URL, poolSize: parsed.DB_POOL_SIZE },
    queue: toQueueConfig(parsed),
    logging: { service: 'api', level: parsed.LOG_LEVEL, format: parsed.LOG_FORMAT },
    adminBootstrap:
      parsed.ADMIN_EMAIL && parsed.ADMIN_PASSWORD ? { email: parsed.ADMIN_EMAIL, password: parsed.ADMIN_PASSWORD } : undefined,
  };
}
