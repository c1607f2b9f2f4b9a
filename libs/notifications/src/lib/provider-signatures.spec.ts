import { createHmac } from 'node:crypto';
import { twilioSignature, verifyMailgunSignature, verifyTwilioSignature } from './provider-signatures';

describe('Twilio request signatures', () => {
  // Twilio's published example (its request validation docs and every official SDK's tests).
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

  it("reproduces Twilio's documented signature", () => {
    expect(twilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(verifyTwilioSignature('12345', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(true);
  });

  it('refuses a changed parameter, URL or token, and a missing signature', () => {
    const signature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(verifyTwilioSignature('12345', url, { ...params, Digits: '9999' }, signature)).toBe(false);
    expect(verifyTwilioSignature('12345', `${url}&baz=3`, params, signature)).toBe(false);
    expect(verifyTwilioSignature('54321', url, params, signature)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, undefined)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, '')).toBe(false);
  });
});

describe('Mailgun webhook signatures', () => {
  const key = 'key-0123456789abcdef0123456789abcdef';
  const now = 1_800_000_000_000;
  const sign = (timestamp: string, token: string) =>
    createHmac('sha256', key)
      .update(timestamp + token)
      .digest('hex');

  it('accepts HMAC-SHA256 of timestamp + token within the allowed age', () => {
    const timestamp = String(now / 1000 - 30);
    expect(verifyMailgunSignature(key, { timestamp, token: 'tok-1', signature: sign(timestamp, 'tok-1') }, 300, now)).toBe(true);
  });

  it('refuses a stale or future timestamp, another key, a changed token and malformed input', () => {
    const old = String(now / 1000 - 301);
    expect(verifyMailgunSignature(key, { timestamp: old, token: 't', signature: sign(old, 't') }, 300, now)).toBe(false);
    const future = String(now / 1000 + 301);
    expect(verifyMailgunSignature(key, { timestamp: future, token: 't', signature: sign(future, 't') }, 300, now)).toBe(false);
    const timestamp = String(now / 1000);
    expect(verifyMailgunSignature('another-key-0123456789', { timestamp, token: 't', signature: sign(timestamp, 't') }, 300, now)).toBe(false);
    expect(verifyMailgunSignature(key, { timestamp, token: 'u', signature: sign(timestamp, 't') }, 300, now)).toBe(false);
    expect(verifyMailgunSignature(key, { timestamp: 'soon', token: 't', signature: sign('soon', 't') }, 300, now)).toBe(false);
    expect(verifyMailgunSignature(key, { timestamp, token: 't', signature: 'zz' }, 300, now)).toBe(false);
  });
});
