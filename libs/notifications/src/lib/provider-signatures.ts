import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Webhook signatures, hand-rolled: each is one HMAC. The `twilio` package would bring the
 * whole REST client and its dependencies (axios, jsonwebtoken, dayjs, qs, xmlbuilder,
 * https-proxy-agent) for a function of a dozen lines; the transports already speak to Twilio
 * with plain fetch (see sms.transport.ts).
 */

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface MailgunSignature {
  timestamp: string;
  token: string;
  signature: string;
}

/**
 * Mailgun: hex HMAC-SHA256 of timestamp + token, keyed by the webhook signing key. A timestamp
 * further than maxAgeSeconds from now (either way) is refused, so a captured request cannot be
 * replayed later.
 */
export function verifyMailgunSignature(signingKey: string, signed: MailgunSignature, maxAgeSeconds: number, nowMs: number = Date.now()): boolean {
  if (!/^\d{1,12}$/.test(signed.timestamp) || !/^[0-9a-f]{64}$/i.test(signed.signature)) return false;
  if (Math.abs(nowMs / 1000 - Number(signed.timestamp)) > maxAgeSeconds) return false;
  const expected = createHmac('sha256', signingKey)
    .update(signed.timestamp + signed.token)
    .digest('hex');
  return equalText(expected, signed.signature.toLowerCase());
}

/** Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the full URL followed by each POST parameter (name then value), sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, key) => text + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function verifyTwilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>, signature: string | undefined): boolean {
  return typeof signature === 'string' && signature.length > 0 && equalText(twilioSignature(authToken, url, params), signature);
}
