const seg = (value: string) => encodeURIComponent(value);

/** Console pages. */
export const PAGES = {
  dashboard: '/',
  queue: (queue: string) => `/queues/${seg(queue)}`,
  job: (jobId: string) => `/jobs/${seg(jobId)}`,
  message: (messageId: string) => `/messages/${seg(messageId)}`,
  search: (q: string) => `/search?${new URLSearchParams({ q }).toString()}`,
  users: (search?: string) => (search ? `/users?${new URLSearchParams({ search }).toString()}` : '/users'),
  audit: '/audit',
  /** Who read a person's messages (the access ledger). */
  ledger: '/ledger',
  /** The broadcasts (and a new one), or one broadcast's own page. */
  broadcast: (batchId?: string) => (batchId ? `/broadcast/${seg(batchId)}` : '/broadcast'),
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
