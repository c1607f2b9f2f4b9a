import type { QueueMetrics } from '@mq/queue-contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from './api-client';
import { ENDPOINTS, METRICS_POLL_MS } from './endpoints';

export const QUEUE_METRICS_QUERY_KEY = ['queue', 'metrics'] as const;

/** A poll that has not been answered by then counts as failed (and is shown as such). */
export const METRICS_TIMEOUT_MS = 5_000;

/** `GET /api/queue/metrics`, re-read every 2 s while the tab is visible. */
export function useQueueMetrics(enabled = true) {
  return useQuery({
    queryKey: QUEUE_METRICS_QUERY_KEY,
    queryFn: ({ signal }) => api.get<QueueMetrics>(ENDPOINTS.queueMetrics, { signal, timeoutMs: METRICS_TIMEOUT_MS }),
    enabled,
    refetchInterval: METRICS_POLL_MS,
    // The poll is the retry: a failure shows at once instead of after a backoff.
    retry: false,
  });
}
