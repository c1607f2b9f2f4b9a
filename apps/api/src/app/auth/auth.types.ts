import type { UserRole } from '@mq/messaging-contracts';

export type { UserRole };

/** Who a request or socket acts as, resolved from its token on every request. */
export interface AuthenticatedUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
}

/** What the access token carries; the user row is still checked on every use. */
export interface AccessTokenClaims {
  sub: string;
  role: UserRole;
  /** The user's token_version when issued: bumping it revokes every token. */
  tv: number;
}

export const SESSION_COOKIE = 'mq_session';
export const CSRF_COOKIE = 'mq_csrf';
export const CSRF_HEADER = 'x-csrf-token';
