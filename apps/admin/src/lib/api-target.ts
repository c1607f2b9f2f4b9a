/*
 * Where the console's same-origin api paths go, decided per request from `API_URL` (read at
 * run time by src/proxy.ts, so one build can serve any api: the e2e stack's has a random port).
 *
 *   /api/<path>             -> <API_URL>/<path>        (REST; the prefix is dropped)
 *   /admin/queues[/<path>]  -> <API_URL>/admin/queues[/<path>]   (Bull Board)
 *   /socket.io/<path>       -> <API_URL>/socket.io/<path>        (socket.io, long-polling and upgrades)
 */

export const DEFAULT_API_URL = 'http://127.0.0.1:3333';

/** The api's base URL without a trailing slash; throws for anything but an absolute http(s) URL. */
export function parseApiUrl(raw: string | undefined): string {
  const value = (raw ?? '').trim() || DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('API_URL must be an absolute http(s) URL, e.g. http://127.0.0.1:3333');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`API_URL must use http or https, not ${url.protocol}`);
  }
  if (url.search || url.hash) throw new Error('API_URL must not carry a query or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The api URL a console request is forwarded to, or null when the path is the console's own. */
export function apiTargetFor(pathname: string, search: string, apiUrl: string): string | null {
  let path: string | null = null;
  if (pathname === '/api' || pathname.startsWith('/api/')) path = pathname.slice('/api'.length) || '/';
  else if (pathname === '/admin/queues' || pathname.startsWith('/admin/queues/')) path = pathname;
  else if (pathname === '/socket.io' || pathname.startsWith('/socket.io/')) path = pathname === '/socket.io' ? '/socket.io/' : pathname;
  if (path === null) return null;
  return `${apiUrl}${path}${search}`;
}
