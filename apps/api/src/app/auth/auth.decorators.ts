import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import { AuthenticatedUser, UserRole } from './auth.types';
import { sessionTokenOf } from './session-token.helper';

export const PUBLIC_ROUTE = 'mq:public';
export const REQUIRED_ROLES = 'mq:roles';

/** No sign-in needed (login, health). Everything else requires a session. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Only these roles may call the route (403 for others). */
export const Roles = (...roles: UserRole[]) => SetMetadata(REQUIRED_ROLES, roles);

export interface RequestWithUser {
  user?: AuthenticatedUser;
}

/** The signed-in user of the request. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user = context.switchToHttp().getRequest<RequestWithUser>().user;
  if (!user) throw new Error('CurrentUser used on a public route');
  return user;
});

/** The access token the request carries (bearer or session cookie), if any: for routes that end a session. */
export const SessionToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    sessionTokenOf(context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>())?.value,
);
