import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UserRepository } from '@mq/db';
import { AccessTokenClaims, AuthenticatedUser } from './auth.types';
import { PasswordHasher } from '../users/password.hasher';
import { UsersService } from '../users/users.service';
import { LoginThrottle } from './login.throttle';
import { SessionResolver } from './session.resolver';

export interface IssuedSession {
  accessToken: string;
  user: AuthenticatedUser;
  expiresInSeconds: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly sessions: SessionResolver,
    private readonly accounts: UsersService,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * Signing out ends the user's sessions: the token (and every other the user holds) is refused
   * from now on, and their sockets are cut. A missing or dead token has nothing to end.
   */
  async logout(token: string | undefined): Promise<void> {
    const session = await this.sessions.resolve(token).catch(() => undefined);
    if (session) await this.accounts.revokeSessions(session.user.id);
  }

  /** One answer for a wrong password, an unknown email and an inactive account: 401; 429 while locked out. */
  async login(email: string, password: string, ip: string): Promise<IssuedSession> {
    const user = await this.users.findByEmail(email);
    const attempt = { email, ip, userId: user?.id };
    await this.throttle.assertAllowed(attempt);
    if (!user) {
      await this.hasher.burn(password);
      await this.throttle.recordFailure(attempt);
      throw new UnauthorizedException('Wrong email or password');
    }
    const valid = await this.hasher.verify(password, user.passwordHash);
    if (!valid || !user.active) {
      await this.throttle.recordFailure(attempt);
      throw new UnauthorizedException('Wrong email or password');
    }
    await this.throttle.recordSuccess(attempt);
    // A hash from before the cost was raised is upgraded now, while the password is at hand.
    if (this.hasher.needsRehash(user.passwordHash)) await this.users.setPasswordHash(user.id, await this.hasher.hash(password));
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, tv: user.tokenVersion };
    const accessToken = await this.jwt.signAsync(claims);
    const { exp } = this.jwt.decode<{ exp: number }>(accessToken);
    return {
      accessToken,
      user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
      expiresInSeconds: Math.max(0, exp - Math.floor(Date.now() / 1000)),
    };
  }
}
