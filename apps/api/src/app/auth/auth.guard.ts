import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { PUBLIC_ROUTE, REQUIRED_ROLES, RequestWithUser } from './auth.decorators';
import { CSRF_COOKIE, CSRF_HEADER, UserRole } from './auth.types';
import { readCookie } from './cookies';
import { header, sessionTokenOf } from './session-token.helper';
import { SessionResolver } from './session.resolver';

interface HttpRequest extends RequestWithUser {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard: a bearer token (API clients) or the console's HttpOnly session cookie.
 * Cookie sessions must also send the CSRF token on mutating requests (double submit);
 * bearer tokens are not ambient credentials, so they need none.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<HttpRequest>();
    const token = sessionTokenOf(request);
    if (token?.fromCookie && !SAFE_METHODS.has(request.method)) this.checkCsrf(request);

    const { user } = await this.sessions.resolve(token?.value);
    request.user = user;

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException(`This needs the ${roles.join(' or ')} role`);
    }
    return true;
  }

  private checkCsrf(request: HttpRequest): void {
    const expected = readCookie(header(request, 'cookie'), CSRF_COOKIE);
    const given = header(request, CSRF_HEADER);
    const valid =
      expected !== undefined && given !== undefined && expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given));
    if (!valid) throw new ForbiddenException(`Missing or wrong ${CSRF_HEADER} header for a cookie session`);
  }
}
