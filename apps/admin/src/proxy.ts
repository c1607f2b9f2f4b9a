import { type NextRequest, NextResponse } from 'next/server';
import { apiTargetFor, DEFAULT_API_URL, parseApiUrl } from './lib/api-target';
import { contentSecurityPolicy, NONCE_HEADER, newNonce } from './lib/content-security-policy';

/*
 * Next 16's proxy (the renamed middleware), on the Node.js runtime, with two jobs:
 *
 * - It forwards the api's paths to API_URL as read from the environment of `next start`
 *   (falling back to the API_URL the build was given, then to http://127.0.0.1:3333). The
 *   browser sees one origin, so the HttpOnly session cookie is first-party and no CORS is
 *   involved. socket.io's long-polling goes through here too; its websocket upgrade is
 *   forwarded as well. Those responses are the api's, headers included (Bull Board sets its
 *   own CSP): the console's policy is not added to them.
 * - Every other response (the console's pages) gets a Content-Security-Policy with a fresh
 *   nonce. The request carries the same header on to the renderer, which is how Next finds
 *   the nonce for its scripts; `x-nonce` has it alone for the app's own use.
 */
export function proxy(request: NextRequest) {
  let apiUrl = DEFAULT_API_URL;
  let invalidApiUrl: string | undefined;
  try {
    // `process.env.MQ_BUILD_API_URL` is replaced at build time (next.config.js `env`); API_URL is not.
    apiUrl = parseApiUrl(process.env['API_URL'] || process.env.MQ_BUILD_API_URL);
  } catch (error) {
    // Only the api's paths need it: the pages still render (and show the api as unreachable).
    invalidApiUrl = error instanceof Error ? error.message : 'API_URL is invalid';
  }
  const target = apiTargetFor(request.nextUrl.pathname, request.nextUrl.search, apiUrl);
  if (target && invalidApiUrl) {
    return NextResponse.json({ statusCode: 502, message: invalidApiUrl, error: 'Bad Gateway' }, { status: 502 });
  }
  if (target) return NextResponse.rewrite(target);

  const nonce = newNonce();
  const policy = contentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === 'development' });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set(NONCE_HEADER, nonce);
  requestHeaders.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  // Everything but Next's hashed build assets (scripts and stylesheets, no HTML to protect)
  // and the favicon: the api's paths for forwarding, the rest for the CSP.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
