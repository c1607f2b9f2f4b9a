import { type NextRequest, NextResponse } from 'next/server';
import { apiTargetFor, parseApiUrl } from './lib/api-target';

/*
 * Next 16's proxy (the renamed middleware), on the Node.js runtime: forwards the api's paths
 * to API_URL as read from the environment of `next start` (falling back to the API_URL the
 * build was given, then to http://127.0.0.1:3333). The browser
 * sees one origin, so the HttpOnly session cookie is first-party and no CORS is involved.
 * socket.io's long-polling goes through here too; its websocket upgrade is forwarded as well.
 */
export function proxy(request: NextRequest) {
  let apiUrl: string;
  try {
    // `process.env.MQ_BUILD_API_URL` is replaced at build time (next.config.js `env`); API_URL is not.
    apiUrl = parseApiUrl(process.env['API_URL'] || process.env.MQ_BUILD_API_URL);
  } catch (error) {
    return NextResponse.json(
      { statusCode: 502, message: error instanceof Error ? error.message : 'API_URL is invalid', error: 'Bad Gateway' },
      { status: 502 },
    );
  }
  const target = apiTargetFor(request.nextUrl.pathname, request.nextUrl.search, apiUrl);
  return target ? NextResponse.rewrite(target) : NextResponse.next();
}

export const config = {
  matcher: ['/api', '/api/:path*', '/admin/queues', '/admin/queues/:path*', '/socket.io', '/socket.io/:path*'],
};
