import { ApiError, api, CSRF_HEADER, readCookie } from '../src/lib/api-client';
import { clearCookie, fakeResponse, type FetchMock, mockFetch } from './test-utils';

function headersOf(fetchMock: FetchMock, call = 0): Record<string, string> {
  return (fetchMock.mock.calls[call][1]?.headers ?? {}) as Record<string, string>;
}

describe('api-client', () => {
  let fetchMock: FetchMock;

  beforeEach(() => {
    fetchMock = mockFetch();
    document.cookie = 'mq_csrf=csrf-token-123; path=/';
    document.cookie = 'other=1; path=/';
  });

  afterEach(() => {
    clearCookie('mq_csrf');
    clearCookie('other');
  });

  it('sends the mq_csrf cookie as x-csrf-token on POST, with JSON and credentials', async () => {
    fetchMock.mockResolvedValue(fakeResponse(200, { ok: true }));

    await expect(api.post('/queue/{name}/retry-failed', { path: { name: 'message-delivery' }, body: { dryRun: true } })).resolves.toEqual({ ok: true });

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/queue/message-delivery/retry-failed');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('include');
    expect(init?.body).toBe(JSON.stringify({ dryRun: true }));
    expect(headersOf(fetchMock)[CSRF_HEADER]).toBe('csrf-token-123');
    expect(headersOf(fetchMock)['content-type']).toBe('application/json');
  });

  it('sends the CSRF header on every mutating method', async () => {
    fetchMock.mockResolvedValue(fakeResponse(204));
    await api.put('/me/notification-preferences', { body: { channels: { push: false } } });
    await api.patch('/messages/{id}', { path: { id: 'm1' }, body: { content: 'edited' } });
    await api.delete('/messages/{id}', { path: { id: 'm1' } });
    expect(fetchMock.mock.calls.map((_, i) => headersOf(fetchMock, i)[CSRF_HEADER])).toEqual(['csrf-token-123', 'csrf-token-123', 'csrf-token-123']);
  });

  it('does not send the CSRF header on GET', async () => {
    fetchMock.mockResolvedValue(fakeResponse(200, { id: 'u1' }));

    await api.get('/me');

    const [, init] = fetchMock.mock.calls[0];
    expect(init?.method).toBe('GET');
    expect(init?.credentials).toBe('include');
    expect(headersOf(fetchMock)).not.toHaveProperty(CSRF_HEADER);
    expect(init?.body).toBeUndefined();
  });

  it('sends no CSRF header when the cookie is absent', async () => {
    clearCookie('mq_csrf');
    fetchMock.mockResolvedValue(fakeResponse(200, {}));
    await api.post('/auth/login', { body: { email: 'a@b.c', password: 'x' } });
    expect(headersOf(fetchMock)).not.toHaveProperty(CSRF_HEADER);
  });

  it("throws an ApiError with the api's status and message", async () => {
    fetchMock.mockResolvedValue(
      fakeResponse(400, {
        statusCode: 400,
        message: 'email must be an email; password is required',
        error: 'Bad Request',
        code: 'validation_failed',
        field: 'body.email',
      }),
    );

    const error = await api.post('/auth/login', { body: { email: '', password: '' } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, message: 'email must be an email; password is required', error: 'Bad Request' });
  });

  it('turns a non-JSON error page into an ApiError too', async () => {
    fetchMock.mockResolvedValue(fakeResponse(500, 'Internal Server Error', 'text/plain'));
    const error = await api.get('/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(500);
    expect((error as ApiError).isUnavailable).toBe(true);
  });

  it('reports a network failure as status 0', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await api.get('/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, isUnavailable: true });
  });

  it('resolves 204 with undefined', async () => {
    fetchMock.mockResolvedValue(fakeResponse(204));
    await expect(api.post('/auth/logout')).resolves.toBeUndefined();
  });

  it('fills in path parameters (encoded) and sends only the query values given', async () => {
    fetchMock.mockResolvedValue(fakeResponse(200, { jobs: [], total: 0 }));
    await api.get('/queue/{name}/jobs', { path: { name: 'a/b c' }, query: { state: 'failed', start: 0, end: undefined } });
    expect(fetchMock.mock.calls[0][0]).toBe('/api/queue/a%2Fb%20c/jobs?state=failed&start=0');
  });

  it('reads one cookie among several', () => {
    expect(readCookie('mq_csrf')).toBe('csrf-token-123');
    expect(readCookie('missing')).toBeUndefined();
  });
});

describe('api-client timeouts', () => {
  afterEach(() => jest.useRealTimers());

  function hangingFetch(): FetchMock {
    const fetchMock = mockFetch();
    fetchMock.mockImplementation(
      (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
        }),
    );
    return fetchMock;
  }

  it('gives up on an api that never answers, as a network failure', async () => {
    jest.useFakeTimers();
    hangingFetch();
    const pending = api.get('/me', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    jest.advanceTimersByTime(1_000);
    const error = await pending;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, message: 'The API did not answer in time.' });
  });

  it("passes the caller's own abort through untouched", async () => {
    hangingFetch();
    const controller = new AbortController();
    const pending = api.get('/me', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const error = await pending;
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as DOMException).name).toBe('AbortError');
  });
});

describe('api.getWithAnswer', () => {
  it('resolves with the status and headers too (the audit cursor is in x-next-cursor)', async () => {
    const fetchMock = mockFetch();
    const response = fakeResponse(200, [{ id: 'a1' }]);
    const headers = new Map([
      ['content-type', 'application/json'],
      ['x-next-cursor', 'cursor-2'],
    ]);
    fetchMock.mockResolvedValue({ ...response, headers: { get: (name: string) => headers.get(name) ?? null } } as unknown as Response);
    const answer = await api.getWithAnswer('/audit', { query: { limit: 50 } });
    expect(fetchMock.mock.calls[0][0]).toBe('/api/audit?limit=50');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([{ id: 'a1' }]);
    expect(answer.headers.get('x-next-cursor')).toBe('cursor-2');
  });
});
