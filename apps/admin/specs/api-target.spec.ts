import { apiTargetFor, DEFAULT_API_URL, parseApiUrl } from '../src/lib/api-target';

describe('parseApiUrl (read by src/proxy.ts at run time)', () => {
  it('defaults to the local api and drops trailing slashes', () => {
    expect(parseApiUrl(undefined)).toBe(DEFAULT_API_URL);
    expect(parseApiUrl('  ')).toBe(DEFAULT_API_URL);
    expect(parseApiUrl('http://api.internal:4000/')).toBe('http://api.internal:4000');
    expect(parseApiUrl('https://example.org/mq/api//')).toBe('https://example.org/mq/api');
  });

  it.each(['api:3333', 'ftp://example.org', 'http://example.org/?x=1', 'not a url'])('refuses %p', (value) => {
    expect(() => parseApiUrl(value)).toThrow(/API_URL/);
  });
});

describe('apiTargetFor', () => {
  const api = 'http://127.0.0.1:45678';

  it('drops the /api prefix and keeps the query', () => {
    expect(apiTargetFor('/api/queue/metrics', '', api)).toBe(`${api}/queue/metrics`);
    expect(apiTargetFor('/api/audit', '?limit=50&cursor=abc', api)).toBe(`${api}/audit?limit=50&cursor=abc`);
    expect(apiTargetFor('/api', '', api)).toBe(`${api}/`);
  });

  it('forwards Bull Board and socket.io with their paths (socket.io keeps its trailing slash)', () => {
    expect(apiTargetFor('/admin/queues', '', api)).toBe(`${api}/admin/queues`);
    expect(apiTargetFor('/admin/queues/api/queues', '?page=1', api)).toBe(`${api}/admin/queues/api/queues?page=1`);
    expect(apiTargetFor('/socket.io/', '?EIO=4&transport=polling', api)).toBe(`${api}/socket.io/?EIO=4&transport=polling`);
    expect(apiTargetFor('/socket.io', '?EIO=4', api)).toBe(`${api}/socket.io/?EIO=4`);
  });

  it("leaves the console's own pages alone", () => {
    for (const path of ['/', '/login', '/apiary', '/admin', '/admin/queuesx', '/dead-letters', '/_next/static/x.js']) {
      expect(apiTargetFor(path, '', api)).toBeNull();
    }
  });
});
