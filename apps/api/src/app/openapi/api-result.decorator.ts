import { HttpStatus, applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ApiResponseBodyName } from '@mq/messaging-contracts';

const ref = (name: ApiResponseBodyName) => ({ $ref: `#/components/schemas/${name}` });

/**
 * The answer of a route in the OpenAPI document: its status and body, named after a type of
 * `ApiResponseBodies` (libs/messaging-contracts), `[name]` for a list of them, `{ oneOf: [...] }`
 * for one of several, or no name for no body. The schemas themselves are generated from those types.
 */
export function ApiResult(
  status: HttpStatus,
  body?: ApiResponseBodyName | [ApiResponseBodyName] | { oneOf: ApiResponseBodyName[] },
  description = '',
): MethodDecorator {
  let schema: object | undefined;
  if (Array.isArray(body)) schema = { type: 'array', items: ref(body[0]) };
  else if (typeof body === 'object') schema = { oneOf: body.oneOf.map(ref) };
  else if (body) schema = ref(body);
  return applyDecorators(ApiResponse({ status, description: description || HttpStatus[status], ...(schema && { schema }) }));
}
