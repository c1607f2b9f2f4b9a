import { z } from 'zod';

import { ConfigError, envFlag } from '@mq/config';

const HOST_PORT = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/;

/** An empty variable counts as unset (docker compose passes `${REDIS_NODES:-}` as one). */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema);

/** `host:port,host:port` (IPv6 in brackets) as a list of addresses. */
const addressList = z
  .string()
  .transform((value, context) => {
    const addresses: RedisAddress[] = [];
    for (const part of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const match = HOST_PORT.exec(part);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        context.addIssue({ code: 'custom', message: `"${part}" is not host:port` });
        return z.NEVER;
      }
      addresses.push({ host: match[1] ?? '', port });
    }
    if (addresses.length === 0) context.addIssue({ code: 'custom', message: 'must list at least one host:port' });
    return addresses;
  })
  .optional();

/** `announced-host:port=reachable-host:port,…`: what a cluster's nodes announce, mapped to what this process can reach. */
const natMap = z
  .string()
  .transform((value, context) => {
    const map: Record<string, RedisAddress> = {};
    for (const pair of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [from, to] = pair.split('=');
      const target = HOST_PORT.exec(to ?? '');
      if (!from || !HOST_PORT.test(from) || !target) {
        context.addIssue({ code: 'custom', message: `"${pair}" is not announced-host:port=reachable-host:port` });
        return z.NEVER;
      }
      map[from] = { host: target[1] ?? '', port: Number(target[2]) };
    }
    return map;
  })
  .optional();

/** The Redis variables (README, Configuration) plus the queue prefix, as environment strings. */
export const queueEnvSchema = z.object({
  REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(6379),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_QUEUE_DB: z.coerce.number().int().min(0).max(15).default(0),
  REDIS_TLS: envFlag.default(false),
  REDIS_CLUSTER: envFlag.default(false),
  REDIS_NODES: unsetIfEmpty(addressList),
  REDIS_NAT_MAP: unsetIfEmpty(natMap),
  REDIS_SENTINELS: unsetIfEmpty(addressList),
  REDIS_SENTINEL_NAME: unsetIfEmpty(z.string().min(1).optional()),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'must be 1-32 letters, digits, - or _')
    .default('mq'),
});

export type QueueEnv = z.infer<typeof queueEnvSchema>;

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisConnectionConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** How this process reaches Redis: one server, a cluster (from seed nodes) or a Sentinel-watched primary. */
export type RedisTopology =
  | { kind: 'single' }
  | { kind: 'cluster'; nodes: RedisAddress[]; natMap?: Record<string, RedisAddress> }
  | { kind: 'sentinel'; sentinels: RedisAddress[]; name: string };

export interface QueueConfig {
  /** The server (single), or the credentials and TLS every node shares (cluster, sentinel). */
  redis: RedisConnectionConfig;
  topology: RedisTopology;
  /** The base of every key name: each queue's keys live under the hash tag `{<prefix>:<queue>}` (redis-keys.ts). */
  prefix: string;
}

/** The parsed variables as one config; throws ConfigError for combinations that mean nothing. */
export function toQueueConfig(env: QueueEnv): QueueConfig {
  const problems: string[] = [];
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS');
  if (env.REDIS_SENTINELS && (env.REDIS_NODES || env.REDIS_CLUSTER)) problems.push('REDIS_SENTINELS: cannot be combined with REDIS_NODES or REDIS_CLUSTER');
  if (problems.length > 0) throw new ConfigError(problems);
  let topology: RedisTopology = { kind: 'single' };
  if (env.REDIS_SENTINELS && env.REDIS_SENTINEL_NAME) topology = { kind: 'sentinel', sentinels: env.REDIS_SENTINELS, name: env.REDIS_SENTINEL_NAME };
  else if (env.REDIS_NODES || env.REDIS_CLUSTER)
    topology = {
      kind: 'cluster',
      nodes: env.REDIS_NODES ?? [{ host: env.REDIS_HOST, port: env.REDIS_PORT }],
      ...(env.REDIS_NAT_MAP ? { natMap: env.REDIS_NAT_MAP } : {}),
    };
  return {
    redis: {
      host: env.REDIS_HOST,
      port: env.REDIS_PORT,
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      // A cluster has only db 0.
      db: topology.kind === 'cluster' ? 0 : env.REDIS_QUEUE_DB,
      tls: env.REDIS_TLS,
    },
    topology,
    prefix: env.QUEUE_PREFIX,
  };
}
