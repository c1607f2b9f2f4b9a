import type { MessageQueueService } from '@mq/queue';
import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  const noQueues = { getQueueMetrics: async () => ({ queues: {}, totals: {}, timestamp: '' }) } as unknown as MessageQueueService;

  it('renders job timings and outcomes by queue and job name', async () => {
    const metrics = new MetricsService(noQueues);
    metrics.observeJob({ queue: 'message-delivery', name: 'send-message', outcome: 'completed', durationSeconds: 0.02 });
    metrics.observeJob({ queue: 'message-delivery', name: 'send-message', outcome: 'retrying', durationSeconds: 0.3 });
    const text = await metrics.registry.getSingleMetricAsString('mq_job_attempts_total');
    expect(text).toContain('mq_job_attempts_total{queue="message-delivery",name="send-message",outcome="completed"} 1');
    expect(text).toContain('mq_job_attempts_total{queue="message-delivery",name="send-message",outcome="retrying"} 1');
    const histogram = await metrics.registry.getSingleMetricAsString('mq_job_duration_seconds');
    expect(histogram).toContain('mq_job_duration_seconds_bucket{le="0.025",queue="message-delivery",name="send-message",outcome="completed"} 1');
  });

  it('renders HTTP latency by method, route pattern and status, and connected sockets by namespace', async () => {
    const metrics = new MetricsService(noQueues);
    metrics.observeHttpRequest({ method: 'GET', route: '/messages/:id', status: 404, durationSeconds: 0.004 });
    metrics.countSocketsWith(() => ({ '/': 3, '/admin': 1 }));
    const http = await metrics.registry.getSingleMetricAsString('mq_http_request_duration_seconds');
    expect(http).toContain('mq_http_request_duration_seconds_count{method="GET",route="/messages/:id",status="404"} 1');
    const sockets = await metrics.registry.getSingleMetricAsString('mq_socket_connections');
    expect(sockets).toContain('mq_socket_connections{namespace="/"} 3');
    expect(sockets).toContain('mq_socket_connections{namespace="/admin"} 1');
  });
});
