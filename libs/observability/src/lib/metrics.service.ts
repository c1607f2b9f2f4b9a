import { Injectable } from '@nestjs/common';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { QUEUE_NAMES, QueueCounts } from '@mq/queue-contracts';
import { MessageQueueService } from '@mq/queue';

const STATES: readonly (keyof QueueCounts)[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

/** The process's Prometheus registry: Node defaults plus queue gauges read at scrape time. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

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
  }

  /** Prometheus text exposition format, as prom-client renders it. */
  static readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  get contentType(): string {
    return MetricsService.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
