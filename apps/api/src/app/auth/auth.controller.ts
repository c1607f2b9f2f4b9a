import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Ip, Post, Res } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { API_CONFIG, ApiConfig } from '../api.config';
import { UsersService } from '../users/users.service';
import { CurrentUser, Public, SessionToken } from './auth.decorators';
import { LoginDto } from './auth.dto';
import { AuthService } from './auth.service';
import { AuthenticatedUser, CSRF_COOKIE, SESSION_COOKIE } from './auth.types';

interface CookieOptions {
  httpOnly?: boolean;
  sameSite?: 'strict' | 'lax';
  secure?: boolean;
  path?: string;
  maxAge?: number;
}

/** The part of Express's response used to set the console's cookies. */
interface CookieJar {
  cookie(name: string, value: string, options: CookieOptions): unknown;
  clearCookie(name: string, options: CookieOptions): unknown;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Answers the token for API clients, and sets the console's session: an HttpOnly cookie
   * plus a readable CSRF token the console echoes in a header on mutating requests.
   */
  @ApiResult(HttpStatus.OK, 'LoginResponse')
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(@Body() body: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) res: CookieJar) {
    const session = await this.auth.login(body.email, body.password, ip);
    const options: CookieOptions = {
      sameSite: 'strict',
      secure: this.config.auth.secureCookies,
      path: '/',
      maxAge: session.expiresInSeconds * 1000,
    };
    res.cookie(SESSION_COOKIE, session.accessToken, { ...options, httpOnly: true });
    res.cookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), { ...options, httpOnly: false });
    return { accessToken: session.accessToken, user: session.user };
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Public()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@SessionToken() token: string | undefined, @Res({ passthrough: true }) res: CookieJar): Promise<void> {
    await this.auth.logout(token);
    const options: CookieOptions = { sameSite: 'strict', secure: this.config.auth.secureCookies, path: '/' };
    res.clearCookie(SESSION_COOKIE, { ...options, httpOnly: true });
    res.clearCookie(CSRF_COOKIE, options);
  }
}

@Controller('me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  @ApiResult(HttpStatus.OK, 'User')
  @Get()
  me(@CurrentUser() user: AuthenticatedUser) {
    return this.users.get(user.id);
  }
}
