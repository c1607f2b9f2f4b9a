import { QueueName } from './queue-names';

/** Job counts of one queue, as Bull reports them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  paused: number;
}

/** The seeds' `QueueMetrics`: every queue, their totals, and when they were read. */
export interface QueueMetrics {
  queues: Record<QueueName, QueueCounts>;
  totals: QueueCounts;
  timestamp: string;
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface QueueHealth {
  status: HealthStatus;
  /** Failed / (completed + failed) among the jobs Bull still holds, 0..1. */
  failureRate: number;
  waiting: number;
  active: number;
  failed: number;
  oldestWaitingMs: number;
  paused: boolean;
}

export interface QueuesHealth {
  status: HealthStatus;
  queues: Record<QueueName, QueueHealth>;
}

export const EMPTY_COUNTS: Readonly<QueueCounts> = Object.freeze({
  waiting: 0,
  active: 0,
  completed: 0,
  failed: 0,
  delayed: 0,
  paused: 0,
});
