/** Same-origin paths; next.config.js rewrites them to the api (`API_URL`). */
export const ENDPOINTS = {
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/me',
  queueMetrics: '/api/queue/metrics',
} as const;

/** Bull Board, mounted by the api and proxied through the console's origin. */
export const BULL_BOARD_PATH = '/admin/queues';

export const LOGIN_PATH = '/login';

/** How often the dashboard re-reads queue metrics. */
export const METRICS_POLL_MS = 2_000;
