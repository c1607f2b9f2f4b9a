import { useQuery } from '@tanstack/react-query';
import { api } from './api-client';

export const SESSION_QUERY_KEY = ['session', 'me'] as const;

/** An api that does not answer the session check within this counts as unreachable. */
export const SESSION_TIMEOUT_MS = 10_000;

/**
 * Who is signed in, from `GET /api/me` (the HttpOnly session cookie decides). Any failure
 * (401, api down, 5xx) means "not signed in" to the caller: no retries, so an
 * unreachable api redirects to the login page at once instead of leaving a spinner.
 */
export function useSession() {
  return useQuery({
    queryKey: SESSION_QUERY_KEY,
    queryFn: ({ signal }) => api.get('/me', { signal, timeoutMs: SESSION_TIMEOUT_MS }),
    retry: false,
    staleTime: 60_000,
    refetchOnWindowFocus: true,
  });
}
