import { z } from 'zod';

import { envFlag } from '@mq/config';

/** The Redis variables (README, Configuration) plus the queue prefix, as environment strings. */
export const queueEnvSchema = z.object({
  REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(6379),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_QUEUE_DB: z.coerce.number().int().min(0).max(15).default(0),
  REDIS_TLS: envFlag.default(false),
  REDIS_CLUSTER: envFlag.default(false),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'must be 1-32 letters, digits, - or _')
    .default('mq'),
});

export type QueueEnv = z.infer<typeof queueEnvSchema>;

export interface RedisConnectionConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

export interface QueueConfig {
  redis: RedisConnectionConfig;
  cluster: boolean;
  /** The Bull key prefix; a hash tag on Redis Cluster so Bull's multi-key scripts stay on one slot. */
  prefix: string;
}

export function toQueueConfig(env: QueueEnv): QueueConfig {
  return {
    redis: {
      host: env.REDIS_HOST,
      port: env.REDIS_PORT,
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      db: env.REDIS_QUEUE_DB,
      tls: env.REDIS_TLS,
    },
    cluster: env.REDIS_CLUSTER,
    prefix: env.REDIS_CLUSTER ? `{${env.QUEUE_PREFIX}}` : env.QUEUE_PREFIX,
  };
}
