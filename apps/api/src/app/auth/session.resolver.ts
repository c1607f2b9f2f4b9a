import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { SessionStateCache } from '../users/session-state.cache';
import { AccessTokenClaims, AuthenticatedUser } from './auth.types';
import { LoginThrottle } from './login.throttle';

/** A token that is not one of ours (bad signature, malformed): what a guesser sends, unlike an expired or revoked one. */
export class ForgedTokenError extends UnauthorizedException {
  constructor() {
    super('The access token is invalid');
  }
}

export interface ResolvedSession {
  user: AuthenticatedUser;
  /** Token expiry (ms since epoch): live sockets are cut at this instant. */
  expiresAt: number;
}

/**
 * Turns an access token into the user it acts for: signature and expiry, then the user row
 * (still active, token not revoked). Shared by the HTTP guard and the socket handshake.
 */
@Injectable()
export class SessionResolver {
  constructor(
    private readonly jwt: JwtService,
    private readonly states: SessionStateCache,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * A socket handshake's session, throttled like a sign-in: an address that keeps sending
   * forged tokens is locked out. Expired and revoked tokens do not count: a client's reconnect
   * loop with a stale token is not an attack.
   */
  async resolveHandshake(token: string | undefined, ip: string): Promise<ResolvedSession> {
    await this.throttle.assertAllowed({ ip });
    try {
      return await this.resolve(token);
    } catch (error) {
      if (error instanceof ForgedTokenError) await this.throttle.recordFailure({ ip });
      throw error;
    }
  }

  async resolve(token: string | undefined): Promise<ResolvedSession> {
    if (!token) throw new UnauthorizedException('Sign in first: no access token');
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims & { exp: number }>(token);
    } catch (error) {
      if (error instanceof Error && error.name === 'TokenExpiredError') throw new UnauthorizedException('The access token has expired');
      throw new ForgedTokenError();
    }
    // Every request and socket: one Redis read (Postgres on a miss).
    const user = await this.states.get(claims.sub);
    if (!user || !user.active || user.tokenVersion !== claims.tv) {
      throw new UnauthorizedException('The session has ended; sign in again');
    }
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
      expiresAt: claims.exp * 1000,
    };
  }
}
