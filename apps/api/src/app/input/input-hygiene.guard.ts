import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { BadInputException } from './bad-input.exception';
import { findInputProblem } from './input-hygiene.helper';

interface HttpInput {
  body?: unknown;
  query?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

/** What a handler takes from one source: the whole object (a DTO checks its fields), these keys, or nothing. */
type Accepts = 'whole' | ReadonlySet<string>;

interface HandlerInputs {
  body: Accepts;
  query: Accepts;
}

interface RouteArgument {
  data?: unknown;
}

function accepted(args: RouteArgument[]): Accepts {
  if (args.some((arg) => arg.data === undefined)) return 'whole';
  return new Set(args.map((arg) => String(arg.data)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The edge of every REST route, before authentication and the DTOs: nothing that no field may
 * hold (prototype keys, NUL, lone surrogates, bombs) gets further, and a route is sent only the
 * input it declares: a body to a route that takes none, or a query parameter it does not read,
 * is an unknown field and a 400 like any other. DTO-level rules stay with the DTOs.
 */
@Injectable()
export class InputHygieneGuard implements CanActivate {
  private readonly inputs = new WeakMap<object, HandlerInputs>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpInput>();
    const problem = findInputProblem(request.params ?? {}, 'path') ?? findInputProblem(request.query ?? {}, 'query') ?? findInputProblem(request.body, 'body');
    if (problem) throw new BadInputException(problem.message, problem.code, problem.field);

    const { body, query } = this.inputsOf(context);
    const sentBody = request.body;
    if (sentBody !== undefined && !isPlainObject(sentBody)) throw new BadInputException('The body must be a JSON object', 'invalid_body', 'body');
    this.refuseUndeclared(isPlainObject(sentBody) ? sentBody : {}, body, 'body');
    this.refuseUndeclared(request.query ?? {}, query, 'query');
    return true;
  }

  private refuseUndeclared(sent: Record<string, unknown>, accepts: Accepts, source: 'body' | 'query'): void {
    if (accepts === 'whole') return;
    const unknown = Object.keys(sent).find((key) => !accepts.has(key));
    if (unknown === undefined) return;
    const field = `${source}.${unknown}`;
    throw new BadInputException(
      accepts.size === 0 ? `This endpoint takes no ${source === 'body' ? 'body' : 'query parameters'} (got ${field})` : `${field} is not a known field`,
      'unknown_field',
      field,
    );
  }

  private inputsOf(context: ExecutionContext): HandlerInputs {
    const handler = context.getHandler();
    let inputs = this.inputs.get(handler);
    if (!inputs) {
      const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, RouteArgument>);
      const of = (type: RouteParamtypes) => args.filter(([key]) => key.split(':')[0] === String(type)).map(([, arg]) => arg);
      // A handler that reads the raw request decides for itself.
      const raw = of(RouteParamtypes.REQUEST).length > 0 || of(RouteParamtypes.RAW_BODY).length > 0;
      inputs = {
        body: raw ? 'whole' : accepted(of(RouteParamtypes.BODY)),
        query: raw ? 'whole' : accepted(of(RouteParamtypes.QUERY)),
      };
      this.inputs.set(handler, inputs);
    }
    return inputs;
  }
}
