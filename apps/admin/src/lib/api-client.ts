/*
 * The console's only way to talk to the api. Same origin: `/api/*` is forwarded to the
 * api by src/proxy.ts (API_URL read at run time), so the session cookie (`mq_session`, HttpOnly) travels with
 * every call and the readable `mq_csrf` cookie can be echoed back (double-submit CSRF).
 */

import type { components } from './api-schema';
import type { CallArgs, CallOptions, CallResult, Method, PathOf } from './api-request.types';

export const CSRF_COOKIE = 'mq_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Status 0 means the request never got an HTTP answer (network failure, api down). */
export const NETWORK_ERROR_STATUS = 0;

/** The api's error body, as its OpenAPI document describes it. */
export type ApiErrorBody = components['schemas']['ApiErrorBody'];

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
    /** Nest's short reason phrase (`"Unauthorized"`, ...), when the api sent one. */
    readonly error?: string,
  ) {
    super(message);
  }

  /** True when the api could not be reached, or answered with a server error. */
  get isUnavailable(): boolean {
    return this.status === NETWORK_ERROR_STATUS || this.status >= 500;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const SAFE_METHODS: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET']);

interface RequestOptions {
  method?: HttpMethod;
  /** Serialised as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Give up after this long (an api that accepts connections but never answers). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Reads one cookie visible to scripts (`mq_csrf` is; `mq_session` is HttpOnly and never is). */
export function readCookie(name: string): string | undefined {
  if (typeof document === 'undefined') return undefined;
  for (const part of document.cookie.split(';')) {
    const separator = part.indexOf('=');
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() === name) {
      const raw = part.slice(separator + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorFrom(response: Response, body: unknown): ApiError {
  if (isErrorBody(body)) return new ApiError(response.status, body.message, body.error);
  const fallback = response.statusText || `Request failed with status ${response.status}`;
  return new ApiError(response.status, fallback);
}

/** A whole answer: when the status or a header matters (dry runs answer 200, `x-next-cursor`). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: { get(name: string): string | null };
}

/**
 * One JSON request, resolving with the status, headers and parsed body (undefined for 204);
 * rejects with an `ApiError` for any non-2xx answer, a network failure or a timeout (status 0).
 * A request the caller aborts rejects with the browser's AbortError, untouched, so react-query can tell.
 */
async function sendRequest<T>(path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE_METHODS.has(method)) {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }

  // One signal for both the caller's cancellation and our timeout.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const forwardAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', forwardAbort, { once: true });

  const failed = (cause: unknown, message: string): unknown => {
    if (timedOut) return new ApiError(NETWORK_ERROR_STATUS, 'The API did not answer in time.');
    if (options.signal?.aborted) return cause; // cancelled by the caller: not an api failure
    return new ApiError(NETWORK_ERROR_STATUS, message);
  };

  try {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'include',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (cause) {
      throw failed(cause, 'The API is unreachable.');
    }

    let body: unknown;
    try {
      body = await readBody(response);
    } catch (cause) {
      throw failed(cause, 'The connection to the API was interrupted.');
    }
    if (!response.ok) throw errorFrom(response, body);
    return { status: response.status, body: body as T, headers: response.headers };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forwardAbort);
  }
}

/** Same origin: src/proxy.ts forwards `/api/*` to the api. */
export const API_BASE = '/api';

/** A route's path with its `{parameters}` filled in, and its query. */
function urlOf(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? '')));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) search.set(key, String(value));
  const text = search.toString();
  return `${API_BASE}${filled}${text ? `?${text}` : ''}`;
}

/** No argument needed when the route has no required parameter or body. */
type ArgsOf<P extends PathOf<M>, M extends Method> = Partial<CallArgs<P, M>> extends CallArgs<P, M> ? [args?: CallArgs<P, M>] : [args: CallArgs<P, M>];

function callApi(method: Method, path: string, args: CallOptions & { path?: object; query?: object; body?: unknown } = {}): Promise<ApiAnswer<unknown>> {
  return sendRequest(urlOf(path, args.path as Record<string, unknown>, args.query as Record<string, unknown>), {
    method: method.toUpperCase() as HttpMethod,
    body: args.body,
    signal: args.signal,
    timeoutMs: args.timeoutMs,
  });
}

function caller<M extends Method>(method: M) {
  return async <P extends PathOf<M>>(path: P, ...[args]: ArgsOf<P, M>): Promise<CallResult<P, M>> =>
    (await callApi(method, path as string, args as Parameters<typeof callApi>[2])).body as CallResult<P, M>;
}

/**
 * The api, typed route by route from its OpenAPI document: `api.get('/queue/{name}/jobs', { path: { name }, query: { state } })`
 * resolves with that route's answer. Rejects as sendRequest does.
 */
export const api = {
  get: caller('get'),
  post: caller('post'),
  put: caller('put'),
  patch: caller('patch'),
  delete: caller('delete'),
  /** A GET resolving with the status and headers too (`x-next-cursor`). */
  getWithAnswer: async <P extends PathOf<'get'>>(path: P, ...[args]: ArgsOf<P, 'get'>): Promise<ApiAnswer<CallResult<P, 'get'>>> =>
    (await callApi('get', path as string, args as Parameters<typeof callApi>[2])) as ApiAnswer<CallResult<P, 'get'>>,
};
