import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { AccessOrigin } from './access-ledger.service';

interface RequestLike {
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Where an HTTP request came from, for the access ledger: its address and user agent. */
export const AccessOriginOf = createParamDecorator((_data: unknown, context: ExecutionContext): AccessOrigin => {
  const request = context.switchToHttp().getRequest<RequestLike>();
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
});
