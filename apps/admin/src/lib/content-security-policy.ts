/*
 * The console's Content-Security-Policy, built per request by src/proxy.ts with a fresh nonce
 * (Next's documented nonce CSP: Next reads the nonce back from the request's CSP header and
 * puts it on its own scripts and styles). Everything the console loads is its own: scripts,
 * one stylesheet file (no inline styles), system fonts, and the api through the same-origin
 * proxy, socket.io included. CSP3 `'self'` covers that socket's same-origin ws:/wss: upgrade
 * (Chrome 71+, Firefox, Safari 16+), so no ws: scheme, which would allow any host, is listed.
 * The other security headers are static: next.config.js sets them.
 */

/** The request header the nonce travels in to the app (server components can read it). */
export const NONCE_HEADER = 'x-nonce';

/** 128 random bits, base64: unguessable, and fresh for every response. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

export interface PolicyOptions {
  /**
   * `next dev`: React rebuilds server error stacks with eval, and Next's dev overlay injects
   * un-nonced styles. Never in a production build.
   */
  dev: boolean;
}

export function contentSecurityPolicy(nonce: string, { dev }: PolicyOptions): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    // 'strict-dynamic': scripts the nonced ones load (Next's chunks) run; host lists are ignored.
    'script-src': ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    // The nonce admits any <style> Next renders; in dev it would switch 'unsafe-inline' off.
    'style-src': ["'self'", ...(dev ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}
