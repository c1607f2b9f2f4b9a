import { readCookie } from './cookies';
import { SESSION_COOKIE } from './auth.types';

interface RequestHeaders {
  headers: Record<string, string | string[] | undefined>;
}

/** The request's access token: a bearer token, else the console's session cookie. */
export function sessionTokenOf(request: RequestHeaders): { value: string; fromCookie: boolean } | undefined {
  const authorization = header(request, 'authorization');
  const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
  if (bearer) return { value: bearer, fromCookie: false };
  const cookie = readCookie(header(request, 'cookie'), SESSION_COOKIE);
  return cookie ? { value: cookie, fromCookie: true } : undefined;
}

export function header(request: RequestHeaders, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
