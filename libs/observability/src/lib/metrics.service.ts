import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueCounts } from '@mq/messaging-contracts';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { MessageQueueService } from '@mq/queue';

const STATES: readonly (keyof QueueCounts)[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

/** How one attempt of a job ended: done, failed with a retry scheduled, or failed for good. */
export type JobOutcome = 'completed' | 'retrying' | 'failed';

export interface JobObservation {
  queue: string;
  name: string;
  outcome: JobOutcome;
  durationSeconds: number;
}

export interface HttpObservation {
  method: string;
  /** The route pattern (`/messages/:id`), never the raw URL: label values must stay few. */
  route: string;
  status: number;
  durationSeconds: number;
}

/** Connected sockets by namespace, read at scrape time. */
export type SocketCountSource = () => Readonly<Record<string, number>>;

/** The process's Prometheus registry: Node defaults, queue gauges read at scrape time, job and HTTP timings. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly jobDuration: Histogram<'queue' | 'name' | 'outcome'>;
  private readonly jobAttempts: Counter<'queue' | 'name' | 'outcome'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private socketCounts?: SocketCountSource;

  constructor(queues: MessageQueueService) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'mq_queue_jobs',
      help: 'Jobs per queue and state, as Bull holds them',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const metrics = await queues.getQueueMetrics();
        for (const queue of QUEUE_NAMES) {
          for (const state of STATES) this.set({ queue, state }, metrics.queues[queue][state]);
        }
      },
    });
    this.jobDuration = new Histogram({
      name: 'mq_job_duration_seconds',
      help: 'Time from a job attempt starting to it finishing, by queue, job name and outcome',
      labelNames: ['queue', 'name', 'outcome'],
      // Deliveries take milliseconds, rotations and cleanups minutes.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [this.registry],
    });
    this.jobAttempts = new Counter({
      name: 'mq_job_attempts_total',
      help: 'Job attempts by queue, job name and outcome (completed, retrying, failed)',
      labelNames: ['queue', 'name', 'outcome'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'mq_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const readSockets = () => this.socketCounts?.() ?? {};
    new Gauge({
      name: 'mq_socket_connections',
      help: 'Connected socket.io clients on this process, by namespace',
      labelNames: ['namespace'],
      registers: [this.registry],
      collect() {
        for (const [namespace, count] of Object.entries(readSockets())) this.set({ namespace }, count);
      },
    });
  }

  /** Prometheus text exposition format, as prom-client renders it. */
  static readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  get contentType(): string {
    return MetricsService.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeJob({ queue, name, outcome, durationSeconds }: JobObservation): void {
    this.jobAttempts.inc({ queue, name, outcome });
    this.jobDuration.observe({ queue, name, outcome }, Math.max(0, durationSeconds));
  }

  observeHttpRequest({ method, route, status, durationSeconds }: HttpObservation): void {
    this.httpDuration.observe({ method, route, status: String(status) }, Math.max(0, durationSeconds));
  }

  /** The socket server reports its counts through this (the api only). */
  countSocketsWith(source: SocketCountSource): void {
    this.socketCounts = source;
  }
}
