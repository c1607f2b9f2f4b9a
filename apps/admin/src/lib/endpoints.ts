/** Same-origin paths; src/proxy.ts forwards them to the api (`API_URL`, read at run time). */

const seg = (value: string) => encodeURIComponent(value);

export const ENDPOINTS = {
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/me',
  queueMetrics: '/api/queue/metrics',
  queueHealth: '/api/queue/health',
  metricsHistory: (minutes: number) => `/api/queue/metrics/history?minutes=${minutes}`,
  openAlerts: '/api/alerts?state=open',
  queueAction: (queue: string, action: 'pause' | 'resume' | 'retry-failed' | 'clean' | 'promote') => `/api/queue/${seg(queue)}/${action}`,
  queueJobs: (queue: string, state: string, start: number, end: number) =>
    `/api/queue/${seg(queue)}/jobs?${new URLSearchParams({ state, start: String(start), end: String(end) }).toString()}`,
  job: (jobId: string) => `/api/messages/jobs/${seg(jobId)}`,
  jobRetry: (jobId: string) => `/api/messages/jobs/${seg(jobId)}/retry`,
  failedDeliveries: (query: URLSearchParams) => `/api/deliveries/failed?${query.toString()}`,
  retryDeliveries: '/api/deliveries/retry',
  messageDeliveries: (messageId: string) => `/api/messages/${seg(messageId)}/deliveries`,
  messageTimeline: (messageId: string) => `/api/messages/${seg(messageId)}/timeline`,
  deadLetters: (limit: number) => `/api/dead-letters?limit=${limit}`,
  deadLetterReplay: (id: string) => `/api/dead-letters/${seg(id)}/replay`,
  deadLetter: (id: string) => `/api/dead-letters/${seg(id)}`,
  broadcast: '/api/messages/broadcast',
  batch: (batchId: string) => `/api/messages/batches/${seg(batchId)}`,
  batchAction: (batchId: string, action: 'pause' | 'resume' | 'cancel') => `/api/messages/batches/${seg(batchId)}/${action}`,
  audit: (limit: number, cursor?: string) =>
    `/api/audit?${new URLSearchParams(cursor ? { limit: String(limit), cursor } : { limit: String(limit) }).toString()}`,
  jobSearch: (q: string) => `/api/jobs/search?${new URLSearchParams({ q }).toString()}`,
} as const;

/** Console pages. */
export const PAGES = {
  dashboard: '/',
  queue: (queue: string) => `/queues/${seg(queue)}`,
  job: (jobId: string) => `/jobs/${seg(jobId)}`,
  message: (messageId: string) => `/messages/${seg(messageId)}`,
  search: (q: string) => `/search?${new URLSearchParams({ q }).toString()}`,
  broadcast: (batchId?: string) => (batchId ? `/broadcast?${new URLSearchParams({ batch: batchId }).toString()}` : '/broadcast'),
} as const;

/** Bull Board, mounted by the api and forwarded through the console's origin. */
export const BULL_BOARD_PATH = '/admin/queues';

export const LOGIN_PATH = '/login';

/** How often the dashboard re-reads queue metrics when the live socket is down. */
export const METRICS_POLL_MS = 2_000;

/** Route params arrive decoded; a job id with a `%` in it would not, so decode defensively. */
export function decodeParam(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
