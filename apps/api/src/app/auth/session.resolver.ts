import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { UserEntity } from '@mq/db';
import { AccessTokenClaims, AuthenticatedUser } from './auth.types';

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
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
  ) {}

  async resolve(token: string | undefined): Promise<ResolvedSession> {
    if (!token) throw new UnauthorizedException('Sign in first: no access token');
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims & { exp: number }>(token);
    } catch {
      throw new UnauthorizedException('The access token is invalid or has expired');
    }
    const user = await this.users.findOne({
      where: { id: claims.sub },
      select: { id: true, email: true, displayName: true, role: true, active: true, tokenVersion: true },
    });
    if (!user || !user.active || user.tokenVersion !== claims.tv) {
      throw new UnauthorizedException('The session has ended; sign in again');
    }
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
      expiresAt: claims.exp * 1000,
    };
  }
}
