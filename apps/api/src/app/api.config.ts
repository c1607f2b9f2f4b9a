import { z } from 'zod';
import { envFlag, nodeEnvSchema, parseEnv } from '@mq/config';
import { DatabaseConfig, databaseEnvSchemaFor, toDatabaseConfig } from '@mq/db';
import { MasterKeyring, encryptionEnvSchemaFor, toMasterKeyring } from '@mq/messaging';
import { LoggingConfig, logEnvSchemaFor, metricsEnvSchema } from '@mq/observability';
import { QueueConfig, queueEnvSchema, toQueueConfig } from '@mq/queue';
import { USER_ROLES, type UserRole } from '@mq/messaging-contracts';
import { ProviderFeedbackConfig, providerFeedbackEnvSchema, toProviderFeedbackConfig } from '@mq/notifications';
import { TracingConfig, toTracingConfig, tracingEnvSchema } from '@mq/tracing';

const portSchema = z.coerce.number().int().min(1).max(65535);

/** Development only: production must bring its own secret. */
const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-change-me-0123456789';

const originList = z
  .string()
  .default('http://localhost:3000,http://127.0.0.1:3000')
  .transform((value, ctx) => {
    const origins = value
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    for (const origin of origins) {
      try {
        const url = new URL(origin);
        if (url.origin !== origin) throw new Error('not an origin');
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://console.example.org` });
        return z.NEVER;
      }
    }
    return origins;
  });

/** Roles allowed to mark a message critical (through everyone's quiet hours): a comma list of user roles. */
const criticalSenderRoles = z
  .string()
  .default('admin')
  .transform((value, ctx) => {
    const roles = [
      ...new Set(
        value
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      ),
    ];
    const unknown = roles.filter((role) => !(USER_ROLES as readonly string[]).includes(role));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown role ${unknown.map((r) => `"${r}"`).join(', ')}: roles are ${USER_ROLES.join(', ')}` });
      return z.NEVER;
    }
    return roles as UserRole[];
  });

/**
 * The demo school (apps/api/src/app/demo): on by default in development only. Its users'
 * passwords are published in this repository, so production refuses it outright.
 */
function demoDataSchema(nodeEnv: string | undefined) {
  if (nodeEnv === 'production') {
    return envFlag
      .default(false)
      .refine((on) => !on, "DEMO_DATA=true is refused with NODE_ENV=production: the demo school's passwords are public. Unset DEMO_DATA or set it to false");
  }
  return envFlag.default(nodeEnv === undefined || nodeEnv === 'development');
}

function apiEnvSchema(nodeEnv: string | undefined) {
  const production = nodeEnv === 'production';
  const jwtSecret = z.string({ error: 'JWT_SECRET is required in production (32+ random characters)' }).min(32, 'must be at least 32 characters');
  return z
    .object({
      ...nodeEnvSchema.shape,
      ...databaseEnvSchemaFor(nodeEnv).shape,
      ...queueEnvSchema.shape,
      ...logEnvSchemaFor(nodeEnv).shape,
      ...tracingEnvSchema.shape,
      ...metricsEnvSchema.shape,
      ...encryptionEnvSchemaFor(nodeEnv).shape,
      ...providerFeedbackEnvSchema.shape,
      PORT: portSchema.default(3333),
      ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
      ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
      JWT_SECRET: production ? jwtSecret : jwtSecret.default(DEVELOPMENT_JWT_SECRET),
      ACCESS_TOKEN_TTL_SECONDS: z.coerce
        .number()
        .int()
        .min(5)
        .max(7 * 24 * 3600)
        .default(8 * 3600),
      SECURE_COOKIES: envFlag.default(production),
      CORS_ORIGINS: originList,
      LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000).default(5),
      LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(30),
      LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
      LOGIN_LOCKOUT_MAX_SECONDS: z.coerce
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 3600)
        .default(15 * 60),
      SEND_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
      BATCH_LINGER_MS: z.coerce.number().int().min(0).max(50).default(8),
      BODY_LIMIT_BYTES: z.coerce
        .number()
        .int()
        .min(1024)
        .max(10 * 1024 * 1024)
        .default(64 * 1024),
      DEMO_DATA: demoDataSchema(nodeEnv),
      CRITICAL_SENDER_ROLES: criticalSenderRoles,
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
  database: DatabaseConfig;
  queue: QueueConfig;
  logging: LoggingConfig;
  /** OpenTelemetry tracing (README "Tracing"): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Started by src/instrument.ts. */
  tracing: TracingConfig;
  keyring: MasterKeyring;
  auth: { jwtSecret: string; accessTokenTtlSeconds: number; secureCookies: boolean; throttle: LoginThrottleConfig };
  corsOrigins: string[];
  sendRateLimitPerMinute: number;
  /** How long a busy api waits to gather sends (and receipts) into one commit; 0: never. */
  batchLingerMs: number;
  bodyLimitBytes: number;
  /** When set, `/metrics` needs it as a bearer token. */
  metricsToken?: string;
  adminBootstrap?: { email: string; password: string };
  /** Load the demo school into an empty database and keep a trickle of its traffic going (never in production). */
  demoData: boolean;
  /** Who may send a critical message (CRITICAL_SENDER_ROLES; empty: nobody). */
  criticalSenderRoles: readonly UserRole[];
  /** Webhook secrets of the providers that report on notifications (routes under /providers). */
  providerFeedback: ProviderFeedbackConfig;
}

/**
 * Failed sign-ins allowed before a lockout, per account and per client address, and the lockout:
 * `lockoutSeconds` after the limit is reached, doubling with every further failure up to the cap.
 */
export interface LoginThrottleConfig {
  failuresPerAccount: number;
  failuresPerIp: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

export const API_CONFIG = Symbol('API_CONFIG');

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = parseEnv(apiEnvSchema(env.NODE_ENV), env);
  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.PORT,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    database: toDatabaseConfig(parsed),
    queue: toQueueConfig(parsed),
    logging: { service: 'api', level: parsed.LOG_LEVEL, format: parsed.LOG_FORMAT },
    tracing: toTracingConfig(parsed, 'api'),
    keyring: toMasterKeyring(parsed),
    auth: {
      jwtSecret: parsed.JWT_SECRET,
      accessTokenTtlSeconds: parsed.ACCESS_TOKEN_TTL_SECONDS,
      secureCookies: parsed.SECURE_COOKIES,
      throttle: {
        failuresPerAccount: parsed.LOGIN_FAILURES_PER_ACCOUNT,
        failuresPerIp: parsed.LOGIN_FAILURES_PER_IP,
        lockoutSeconds: parsed.LOGIN_LOCKOUT_SECONDS,
        maxLockoutSeconds: Math.max(parsed.LOGIN_LOCKOUT_MAX_SECONDS, parsed.LOGIN_LOCKOUT_SECONDS),
      },
    },
    corsOrigins: parsed.CORS_ORIGINS,
    sendRateLimitPerMinute: parsed.SEND_RATE_LIMIT_PER_MINUTE,
    batchLingerMs: parsed.BATCH_LINGER_MS,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    metricsToken: parsed.METRICS_TOKEN,
    adminBootstrap: parsed.ADMIN_EMAIL && parsed.ADMIN_PASSWORD ? { email: parsed.ADMIN_EMAIL, password: parsed.ADMIN_PASSWORD } : undefined,
    demoData: parsed.DEMO_DATA,
    criticalSenderRoles: parsed.CRITICAL_SENDER_ROLES,
    providerFeedback: toProviderFeedbackConfig(parsed),
  };
}
