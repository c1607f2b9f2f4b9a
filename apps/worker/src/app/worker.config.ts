import { z } from 'zod';
import { nodeEnvSchema, parseEnv } from '@mq/config';
import { DatabaseConfig, databaseEnvSchemaFor, toDatabaseConfig } from '@mq/db';
import { MasterKeyring, encryptionEnvSchemaFor, toMasterKeyring } from '@mq/messaging';
import { NotificationsConfig, notificationsEnvSchema, toNotificationsConfig } from '@mq/notifications';
import { LoggingConfig, logEnvSchemaFor, metricsEnvSchema } from '@mq/observability';
import { QueueConfig, queueEnvSchema, toQueueConfig } from '@mq/queue';
import { TracingConfig, toTracingConfig, tracingEnvSchema } from '@mq/tracing';
import { QUEUE_NAMES, QueueName, isQueueName } from '@mq/queue-contracts';
import { MonitoringConfig, monitoringEnvSchema, toMonitoringConfig } from './monitoring/monitoring.config';

const queueList = z
  .string()
  .trim()
  .transform((value, ctx): QueueName[] => {
    if (value === '' || value === 'all') return [...QUEUE_NAMES];
    const names = [
      ...new Set(
        value
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    ];
    const unknown = names.filter((name) => !isQueueName(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown queue(s) ${unknown.join(', ')}; known: ${QUEUE_NAMES.join(', ')}` });
      return z.NEVER;
    }
    return names as QueueName[];
  });

function workerEnvSchema(nodeEnv: string | undefined) {
  return z.object({
    ...nodeEnvSchema.shape,
    ...databaseEnvSchemaFor(nodeEnv).shape,
    ...queueEnvSchema.shape,
    ...logEnvSchemaFor(nodeEnv).shape,
    ...tracingEnvSchema.shape,
    ...metricsEnvSchema.shape,
    ...encryptionEnvSchemaFor(nodeEnv).shape,
    ...notificationsEnvSchema.shape,
    ...monitoringEnvSchema.shape,
    CLEANUP_CRON: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, 'must be a five-field cron expression, e.g. "0 2 * * *"')
      .default('0 2 * * *'),
    CLEANUP_TIMEZONE: z.string().default('UTC'),
    CLEANUP_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    CLEANUP_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
    // Messages re-encrypted per transaction during a key rotation.
    ENCRYPTION_ROTATION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
    NOTIFY_UNREAD_AFTER_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000)
      .default(30_000),
    NOTIFY_DIGEST_WINDOW_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .max(24 * 3600_000)
      .default(10 * 60_000),
    OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
    OUTBOX_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
    // A send job published this long ago and not seen to end is looked up in Redis.
    OUTBOX_RECONCILE_AFTER_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000)
      .default(60_000),
    // How often the access ledger's head is anchored in the audit log (when it has grown).
    LEDGER_ANCHOR_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .max(24 * 3600_000)
      .default(10 * 60_000),
    // 0 picks a free port (tests).
    WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3334),
    WORKER_QUEUES: queueList.default([...QUEUE_NAMES]),
  });
}

/** The worker's whole configuration, validated before Nest boots. */
export interface WorkerConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  queues: QueueName[];
  shutdownTimeoutMs: number;
  database: DatabaseConfig;
  queue: QueueConfig;
  logging: LoggingConfig;
  /** OpenTelemetry tracing (README "Tracing"): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Started by src/instrument.ts. */
  tracing: TracingConfig;
  /** When set, `/metrics` needs it as a bearer token. */
  metricsToken?: string;
  keyring: MasterKeyring;
  rotationBatchSize: number;
  /** The nightly retention job, registered once however many workers start. */
  cleanup: { cron: string; timeZone: string; retentionDays: number; batchSize: number };
  /**
   * The relay publishes outbox rows older than graceMs every intervalMs, and checks send jobs
   * published more than reconcileAfterMs ago and not seen to end (SendJobReconciler).
   */
  outbox: { intervalMs: number; graceMs: number; batchSize: number; reconcileAfterMs: number };
  notifications: NotificationsConfig & {
    /** An online recipient is reminded if the message is still unread after this. */
    unreadAfterMs: number;
    /** Unread email is one digest per user per window of this length. */
    digestWindowMs: number;
  };
  /** Queue sampling and alert rules (the elected worker runs them). */
  monitoring: MonitoringConfig;
  /** How often the access ledger's head is written to the audit log (LedgerAnchorScheduler). */
  ledgerAnchorIntervalMs: number;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = parseEnv(workerEnvSchema(env.NODE_ENV), env);
  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.WORKER_PORT,
    queues: parsed.WORKER_QUEUES,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    database: toDatabaseConfig(parsed),
    queue: toQueueConfig(parsed),
    logging: { service: 'worker', level: parsed.LOG_LEVEL, format: parsed.LOG_FORMAT },
    tracing: toTracingConfig(parsed, 'worker'),
    metricsToken: parsed.METRICS_TOKEN,
    keyring: toMasterKeyring(parsed),
    rotationBatchSize: parsed.ENCRYPTION_ROTATION_BATCH_SIZE,
    cleanup: {
      cron: parsed.CLEANUP_CRON,
      timeZone: parsed.CLEANUP_TIMEZONE,
      retentionDays: parsed.CLEANUP_RETENTION_DAYS,
      batchSize: parsed.CLEANUP_BATCH_SIZE,
    },
    outbox: {
      intervalMs: parsed.OUTBOX_RELAY_INTERVAL_MS,
      graceMs: parsed.OUTBOX_GRACE_MS,
      batchSize: 500,
      reconcileAfterMs: parsed.OUTBOX_RECONCILE_AFTER_MS,
    },
    notifications: {
      ...toNotificationsConfig(parsed),
      unreadAfterMs: parsed.NOTIFY_UNREAD_AFTER_MS,
      digestWindowMs: parsed.NOTIFY_DIGEST_WINDOW_MS,
    },
    monitoring: toMonitoringConfig(parsed),
    ledgerAnchorIntervalMs: parsed.LEDGER_ANCHOR_INTERVAL_MS,
  };
}

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
