import { isAbortError, networkErrorCode, parseRetryAfter, redactContacts } from './provider-response';

describe('redactContacts', () => {
  it('removes addresses and phone numbers but keeps the codes', () => {
    expect(redactContacts('550 5.1.1 <bob.smith@school.test>: Recipient address rejected')).toBe('550 5.1.1 <[address]>: Recipient address rejected');
    expect(redactContacts("The 'To' number +1 (500) 555-0001 is not a valid phone number. Code 21211")).toBe(
      "The 'To' number [number] is not a valid phone number. Code 21211",
    );
    expect(redactContacts('to 15005550001\r\nsecond line')).toBe('to [number] second line');
  });

  it('bounds the length', () => {
    expect(redactContacts('x'.repeat(1000))).toHaveLength(300);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(['3'], now)).toBe(3_000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
  });

  it('gives undefined for nothing or nonsense, 0 for the past, at most a day', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999999', now)).toBe(86_400_000);
  });
});

describe('error helpers', () => {
  it('finds a network code through fetch-style causes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkErrorCode(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(new Error('x'))).toBeUndefined();
    expect(networkErrorCode('x')).toBeUndefined();
  });

  it('recognises abort and timeout errors', () => {
    expect(isAbortError(new DOMException('t', 'TimeoutError'))).toBe(true);
    expect(isAbortError(Object.assign(new Error('a'), { name: 'AbortError' }))).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
  });
});
