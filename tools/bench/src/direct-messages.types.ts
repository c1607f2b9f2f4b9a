import { CpuShare, CpuSubjects } from './process.probe';
import { PerMessageCost } from './cost.probe';
import type { QueryStats } from './query-stats.probe';
import type { RedisTarget } from './bench.cli';
import { Histogram, Percentiles } from './stats.math';

/** How senders send: over their socket (`message:send`, what a connected app does) or `POST /messages`. */
export type SendTransport = 'socket' | 'rest';

export interface DirectRun {
  mode: 'fixed-rate' | 'full-speed';
  transport: SendTransport;
  offeredPerSecond?: number;
  concurrency?: number;
  sendingSeconds: number;
  sent: number;
  accepted: number;
  rejected: number;
  dropped: number;
  received: number;
  delivered: number;
  /** Redeliveries of a message already received (clients dedupe them by id). */
  duplicateReceipts: number;
  /** A second, different message for one clientMessageId: must be 0. */
  duplicated: number;
  /** Accepted but never received / never recorded delivered within the drain time. */
  notReceived: number;
  notDelivered: number;
  acceptedPerSecond: number;
  receivedPerSecond: number;
  /** Accepted, received and recorded delivered: messages/s from the first send to the last `delivered`. */
  sustainedPerSecond: number;
  /** Median of the per-second delivered counts while sending (ramp second excluded). */
  steadyDeliveredPerSecond: number;
  /** Accepted minus delivered when sending stopped. */
  backlogAtEnd: number;
  latencyMs: { accept: Percentiles; receive: Percentiles; delivered: Percentiles };
  receiveHistogram: Histogram;
  timeline: { accepted: number[]; received: number[]; delivered: number[] };
  cpu: CpuShare;
  /** What one delivered message cost: CPU ms per process, Postgres transactions and rows, Redis commands. */
  perMessage: PerMessageCost;
  /** --profile: Redis commands (every run) and Postgres statements (the socket runs) per message. */
  queryStats?: QueryStats;
  errors: Record<string, number>;
}

export interface DirectResult {
  pairs: number;
  contentLength: number;
  runs: DirectRun[];
}

export interface DirectOptions {
  /** The transport of the runs judged against the targets; the other one gets a full-speed run for comparison. */
  transport: SendTransport;
  pairs: number;
  rate: number;
  durationSeconds: number;
  concurrency: number;
  cores: number;
  cpuSubjects: CpuSubjects;
  redis: RedisTarget;
  /** With --start: Postgres counters of the run's own database (and its ANALYZE after the warm-up). */
  databaseUrl?: string;
  /** Seconds of unmeasured sending before the runs. */
  warmupSeconds: number;
  /** --profile: Redis INFO commandstats over each run, pg_stat_statements over the socket runs. */
  queryStats?: boolean;
}
