//@ts-check
const path = require('node:path');

/*
 * The console and the api share one origin as far as the browser knows: `/api/*` and Bull
 * Board (`/admin/queues`) are proxied to the api, so the session cookie is first-party and
 * no CORS is involved. API_URL is read when the config loads (`next build` bakes the
 * rewrites into the build; rebuild after changing it).
 */
const DEFAULT_API_URL = 'http://127.0.0.1:3333';

function apiUrl() {
  const raw = (process.env.API_URL || DEFAULT_API_URL).trim().replace(/\/+$/, '');
  const url = new URL(raw); // throws on a malformed API_URL: fail the build, not the first request
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`API_URL must be an http(s) URL, got ${raw}`);
  }
  return raw;
}

const workspaceRoot = path.join(__dirname, '..', '..');

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // The workspace libs (`@mq/queue-contracts`, via tsconfig.base.json paths) live outside
  // this folder: let Turbopack and output tracing see the whole workspace.
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  async rewrites() {
    const api = apiUrl();
    return [
      { source: '/api/:path*', destination: `${api}/:path*` },
      { source: '/admin/queues', destination: `${api}/admin/queues` },
      { source: '/admin/queues/:path*', destination: `${api}/admin/queues/:path*` },
    ];
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};

module.exports = nextConfig;
