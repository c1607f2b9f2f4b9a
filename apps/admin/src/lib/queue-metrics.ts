import { useQuery } from '@tanstack/react-query';
import { api } from './api-client';
import { METRICS_POLL_MS } from './endpoints';

export const QUEUE_METRICS_QUERY_KEY = ['queue', 'metrics'] as const;
export const QUEUE_HEALTH_QUERY_KEY = ['queue', 'health'] as const;
export const OPEN_ALERTS_QUERY_KEY = ['alerts', 'open'] as const;

/** A poll that has not been answered by then counts as failed (and is shown as such). */
export const METRICS_TIMEOUT_MS = 5_000;
export const HEALTH_POLL_MS = 5_000;
export const ALERTS_POLL_MS = 15_000;

/**
 * `GET /api/queue/metrics`. While the `/admin` socket is live it pushes `queue:metrics`
 * into this query's cache (see admin-realtime.tsx) and nothing is polled; when it is down,
 * the query re-reads every 2 s instead.
 */
export function useQueueMetrics({ live = false, enabled = true }: { live?: boolean; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: QUEUE_METRICS_QUERY_KEY,
    queryFn: ({ signal }) => api.get('/queue/metrics', { signal, timeoutMs: METRICS_TIMEOUT_MS }),
    enabled,
    refetchInterval: live ? false : METRICS_POLL_MS,
    // The poll is the retry: a failure shows at once instead of after a backoff.
    retry: false,
  });
}

/** `GET /api/queue/health`: status, failure rate and paused flag per queue. */
export function useQueueHealth() {
  return useQuery({
    queryKey: QUEUE_HEALTH_QUERY_KEY,
    queryFn: ({ signal }) => api.get('/queue/health', { signal, timeoutMs: METRICS_TIMEOUT_MS }),
    refetchInterval: HEALTH_POLL_MS,
    retry: false,
  });
}

/** `GET /api/alerts?state=open`; an `alert` event on the socket refreshes it at once. */
export function useOpenAlerts() {
  return useQuery({
    queryKey: OPEN_ALERTS_QUERY_KEY,
    queryFn: ({ signal }) => api.get('/alerts', { query: { state: 'open' }, signal }),
    refetchInterval: ALERTS_POLL_MS,
    retry: false,
  });
}
