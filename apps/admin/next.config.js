//@ts-check
const path = require('node:path');

/*
 * The console and the api share one origin as far as the browser knows: `/api/*`, Bull Board
 * (`/admin/queues`) and socket.io (`/socket.io/`) are forwarded to the api by src/proxy.ts,
 * which reads API_URL when `next start` runs: one build serves any api. An API_URL given to
 * `next build` only becomes the fallback for a server started without one (the Docker image
 * takes it as a build argument).
 */

const workspaceRoot = path.join(__dirname, '..', '..');

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  env: { MQ_BUILD_API_URL: (process.env.API_URL || '').trim() },
  // The workspace libs (`@mq/messaging-client`, ... via tsconfig.base.json paths) live outside
  // this folder: let Turbopack and output tracing see the whole workspace.
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // socket.io's endpoint is `/socket.io/` (trailing slash): a redirect to `/socket.io` would
  // miss the api's engine. The console's own routes have no trailing slashes anyway.
  skipTrailingSlashRedirect: true,
  experimental: {
    // A socket.io long-poll is held open for up to the api's ping interval (20 s) plus its
    // timeout; the default 30 s limit on proxied requests would cut some of them.
    proxyTimeout: 60_000,
  },
  async headers() {
    return [
      {
        // The console's own responses, pages and build assets alike. The paths src/proxy.ts
        // forwards to the api keep the api's headers (Bull Board's differ): a header set here
        // would be added to those it does not set itself. The per-request CSP is src/proxy.ts's.
        source: '/:path((?!api(?:/|$)|admin/queues(?:/|$)|socket\\.io(?:/|$)).*)',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          // For browsers without CSP frame-ancestors.
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
        ],
      },
    ];
  },
};

module.exports = nextConfig;
