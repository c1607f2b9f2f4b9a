/*
 * Types of a call to the api, derived from the generated description of every route
 * (api-schema.d.ts, written by `npm run openapi` from apps/api/openapi.json): a path that does
 * not exist, a missing path parameter, a wrong query or body, or a misread answer does not compile.
 */
import type { paths } from './api-schema';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The api's paths that answer `M`. */
export type PathOf<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths];

type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;

type Success<O> = O extends { responses: infer R }
  ? { [S in keyof R]: S extends 200 | 201 | 202 | 203 ? Json<R[S]> : S extends 204 ? undefined : never }[keyof R]
  : never;

type RequestBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? { body: B }
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? { body?: B }
    : { body?: never };

type Parameters<O> = O extends { parameters: infer X } ? Pick<X, Extract<keyof X, 'path' | 'query'>> : object;

/** How long to wait, and the caller's cancellation (react-query's signal). */
export interface CallOptions {
  signal?: AbortSignal;
  /** Give up after this long (an api that accepts connections but never answers). */
  timeoutMs?: number;
}

/** What a call to `M P` takes: its path parameters and query (as the route declares them), its body, and CallOptions. */
export type CallArgs<P extends keyof paths, M extends Method> = Parameters<Operation<P, M>> & RequestBody<Operation<P, M>> & CallOptions;

/** The body a successful `M P` answers (undefined for 204). */
export type CallResult<P extends keyof paths, M extends Method> = Success<Operation<P, M>>;
