import { ApiError, NetworkError, RequestTimeoutError, parseRetryAfter } from './api-error';

/** An answer whose status code matters to the caller (200 vs 201/202, dry runs). */
export interface ApiResponse<T> {
  status: number;
  body: T;
}

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface HttpTransportOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch: FetchFunction;
  getToken: () => string | null;
  /** `include` for a browser page on another origin that signs in with the console cookie. */
  credentials?: RequestCredentials;
}

/** JSON over fetch: bearer token, one timeout per request, ApiError on anything but 2xx. */
export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  /** The answer's body (undefined for 204). */
  async body<T>(request: HttpRequest): Promise<T> {
    return (await this.request<T>(request)).body;
  }

  /** A call whose answer has no body to read. */
  async send(request: HttpRequest): Promise<void> {
    await this.request<unknown>(request);
  }

  async request<T>(request: HttpRequest): Promise<ApiResponse<T>> {
    const { method } = request;
    const path = request.path + queryString(request.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.getToken();
    if (token) headers['authorization'] = `Bearer ${token}`;
    const hasBody = request.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.options.fetch(this.options.baseUrl + path, {
          method,
          headers,
          body: hasBody ? JSON.stringify(request.body) : undefined,
          signal: controller.signal,
          ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        });
      } catch (error) {
        if (controller.signal.aborted) throw new RequestTimeoutError(method, path, this.options.timeoutMs);
        throw new NetworkError(method, path, error);
      }
      // The body is read under the same timer: a server that sends headers and then stalls times out too.
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (controller.signal.aborted) throw new RequestTimeoutError(method, path, this.options.timeoutMs);
        throw new NetworkError(method, path, error);
      }
      const body = parseBody(text, response.headers.get('content-type'), response.ok, `${method} ${path}`);
      if (!response.ok) {
        throw new ApiError(response.status, body, method, path, parseRetryAfter(response.headers.get('retry-after')));
      }
      return { status: response.status, body: body as T };
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseBody(text: string, contentType: string | null, ok: boolean, call: string): unknown {
  if (text.length === 0) return undefined;
  if (!contentType?.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    // An error answer keeps its raw text; a success that is not JSON is a broken server.
    if (!ok) return text;
    throw new Error(`${call}: the answer is not valid JSON`, { cause: error });
  }
}

/** Leaves out undefined and null, so an optional filter is simply not sent (unknown fields are a 400). */
function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(key, String(value));
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : '';
}

/** A path segment: ids are UUIDs, but job ids carry `:` and queue names come from users: always encode. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
