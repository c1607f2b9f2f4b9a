import { z } from 'zod';
import type { QueueName } from '@mq/queue-contracts';

// An empty variable (`ALERT_WEBHOOK_URL=` in an env file) means "not set".
const emptyAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

// The URL may carry a token, so a bad value is described, never echoed.
const webhookUrl = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL (e.g. https://hooks.example.org/alerts); the value is not a URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must use http or https; the protocol is ${url.protocol}` });
    }
  });

/** Queue sampling and alert rules, as environment strings (spread into the worker's schema). */
export const monitoringEnvSchema = z.object({
  METRICS_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(200).max(300_000).default(10_000),
  ALERT_FAILURE_RATE_PERCENT: z.coerce.number().min(0).max(100).default(20),
  ALERT_FAILURE_WINDOW_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  ALERT_FAILURE_MIN_JOBS: z.coerce.number().int().min(1).max(1_000_000).default(20),
  ALERT_BACKLOG: z.coerce.number().int().min(0).max(100_000_000).default(10_000),
  ALERT_OLDEST_WAITING_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(300),
  ALERT_WEBHOOK_URL: z.preprocess(emptyAsUnset, webhookUrl.optional()),
  // Every worker's heartbeat into the worker registry; it shows as lost after three missed beats.
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  // Shown beside each worker in the console (e.g. the image tag or commit); `dev` when unset.
  APP_VERSION: z.preprocess(emptyAsUnset, z.string().max(64).default('dev')),
});

export type MonitoringEnv = z.infer<typeof monitoringEnvSchema>;

export interface AlertThresholds {
  /** Open when more than this percentage of the jobs finished in the window failed... */
  failureRatePercent: number;
  failureWindowMinutes: number;
  /** ...and at least this many finished (a few failures of a few jobs are noise). */
  failureMinJobs: number;
  /** Open when more jobs than this wait (waiting + paused). */
  backlog: number;
  /** Open when the oldest waiting job has waited longer than this. */
  oldestWaitingSeconds: number;
}

export interface MonitoringConfig {
  /** Every this often the elected worker samples every queue and evaluates the alert rules. */
  sampleIntervalMs: number;
  alerts: AlertThresholds;
  /** Opened and resolved alerts are POSTed here as JSON, if set. */
  webhookUrl?: string;
  heartbeatIntervalMs: number;
  appVersion: string;
}

export function toMonitoringConfig(env: MonitoringEnv): MonitoringConfig {
  return {
    sampleIntervalMs: env.METRICS_SAMPLE_INTERVAL_MS,
    alerts: {
      failureRatePercent: env.ALERT_FAILURE_RATE_PERCENT,
      failureWindowMinutes: env.ALERT_FAILURE_WINDOW_MINUTES,
      failureMinJobs: env.ALERT_FAILURE_MIN_JOBS,
      backlog: env.ALERT_BACKLOG,
      oldestWaitingSeconds: env.ALERT_OLDEST_WAITING_SECONDS,
    },
    webhookUrl: env.ALERT_WEBHOOK_URL,
    heartbeatIntervalMs: env.WORKER_HEARTBEAT_MS,
    appVersion: env.APP_VERSION,
  };
}

/** What the monitoring providers need from the worker's configuration. */
export interface MonitoringOptions extends MonitoringConfig {
  /** Bull's key prefix: the leader lock lives next to the queues. */
  queuePrefix: string;
  /** The queues this worker consumes, for its heartbeat. */
  queues: readonly QueueName[];
}

export const MONITORING_OPTIONS = Symbol('MONITORING_OPTIONS');
