import { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { QueueRegistry } from '@mq/queue';
import { AuditLogRepository } from '@mq/db';
import { SESSION_COOKIE } from '../auth/auth.types';
import { readCookie } from '../auth/cookies';
import { SessionResolver } from '../auth/session.resolver';

export const BULL_BOARD_PATH = '/admin/queues';

type Next = (error?: unknown) => void;
type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function deny(res: ServerResponse, statusCode: 401 | 403, message: string): void {
  res.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ statusCode, message, error: statusCode === 401 ? 'Unauthorized' : 'Forbidden' }));
}

/**
 * A person opening the board in a browser without a session is sent to the console's login,
 * which brings them back here; API calls keep their 401. Through the console's proxy (same
 * origin) the path is enough; opened on the api's own port, the console is the first origin.
 */
function loginRedirect(req: IncomingMessage, consoleOrigin: string | undefined): string | undefined {
  const wantsPage = (req.method === 'GET' || req.method === 'HEAD') && (req.headers.accept ?? '').includes('text/html');
  if (!wantsPage) return undefined;
  const next = `${BULL_BOARD_PATH}${req.url && req.url !== '/' ? req.url : ''}`;
  const login = `/login?next=${encodeURIComponent(next).replace(/%2F/gi, '/')}`;
  return req.headers['x-forwarded-host'] || !consoleOrigin ? login : `${consoleOrigin}${login}`;
}

/** Bull Board's page needs its own scripts and styles, inline styles and Google's web font; nothing else. */
const BOARD_CSP = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
    fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

function board(queues: QueueRegistry, readOnly: boolean): Handler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.entries().map(([, queue]) => new BullAdapter(queue, { readOnlyMode: readOnly, allowRetries: !readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: readOnly ? 'Queues (read-only)' : 'Message pipeline queues' } },
  });
  return serverAdapter.getRouter() as Handler;
}

/**
 * Bull Board for the six queues at /admin/queues, behind the api's own sessions (bearer token
 * or the console cookie): admins get the full board, operators a read-only one, everyone
 * else 401/403. Its mutating calls must come from an allowed origin (the board cannot send
 * the console's CSRF header; the SameSite cookie and this check stand in for it).
 */
export function mountBullBoard(app: INestApplication, allowedOrigins: readonly string[]): void {
  const queues = app.get(QueueRegistry);
  const sessions = app.get(SessionResolver);
  const audit = app.get(AuditLogRepository);
  const boards = { admin: board(queues, false), operator: board(queues, true) };
  const origins = new Set(allowedOrigins);

  app.use(BULL_BOARD_PATH, BOARD_CSP);
  app.use(BULL_BOARD_PATH, (req: IncomingMessage, res: ServerResponse, next: Next) => {
    const authorization = req.headers.authorization;
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : readCookie(req.headers.cookie, SESSION_COOKIE);
    sessions.resolve(token).then(
      ({ user }) => {
        const mutating = !SAFE_METHODS.has(req.method ?? 'GET');
        const origin = req.headers.origin;
        if (mutating && origin !== undefined && !origins.has(origin) && origin !== `http://${req.headers.host}`) {
          return deny(res, 403, `Changes to the queues are not accepted from ${origin}`);
        }
        if (user.role === 'admin') {
          // Actions taken in the board are operator actions too: on the audit log like the rest.
          if (mutating) {
            audit
              .record({ actorId: user.id, action: `bull-board.${(req.method ?? '').toLowerCase()}`, target: (req.url ?? '').split('?')[0] ?? '' })
              .catch(() => undefined);
          }
          return boards.admin(req, res, next);
        }
        if (user.role === 'operator') {
          if (mutating) return deny(res, 403, 'The operator role is read-only');
          return boards.operator(req, res, next);
        }
        deny(res, 403, 'Bull Board is for administrators');
      },
      (error: unknown) => {
        const location = loginRedirect(req, allowedOrigins[0]);
        if (location) {
          res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
          return void res.end();
        }
        deny(res, 401, error instanceof Error ? error.message : 'Sign in first');
      },
    );
  });
}
