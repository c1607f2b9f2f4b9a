import { LOGIN_PATH } from './endpoints';

/**
 * Where to go after signing in. Only same-origin absolute paths are accepted, so a
 * crafted `?next=https://evil.example` or `?next=//evil.example` cannot send an operator
 * elsewhere (open redirect).
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value === LOGIN_PATH || value.startsWith(`${LOGIN_PATH}?`) || value.startsWith(`${LOGIN_PATH}/`)) return '/';
  return value;
}

/** `/login?next=/` for the dashboard; slashes stay readable, everything else is encoded. */
export function loginPathFor(returnTo: string): string {
  const next = safeNextPath(returnTo);
  return `${LOGIN_PATH}?next=${encodeURIComponent(next).replace(/%2F/gi, '/')}`;
}
