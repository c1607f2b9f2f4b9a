import { createECDH } from 'node:crypto';
import type { ECDH } from 'node:crypto';
import type { Agent } from 'node:https';
import { WebPushError, sendNotification } from 'web-push';
import type { RequestOptions } from 'web-push';
import { ChannelUnavailableError, DeliveryError, PermanentDeliveryError, SubscriptionGoneError, TransientDeliveryError } from './delivery.errors';
import type { NotificationTransport, OutgoingNotification, PushTarget, SendResult } from './notification.transport';
import type { NotificationsConfig } from './notifications.config';
import { networkErrorCode, parseRetryAfter, redactContacts } from './provider-response';

/** A day: a "new message" notice older than that is noise; the app shows the conversation anyway. */
export const DEFAULT_PUSH_TTL_SECONDS = 24 * 60 * 60;

export interface PushTransportOptions {
  /** How long the push service keeps the notification for an offline device. */
  ttlSeconds?: number;
  /** The agent web-push makes its HTTPS request with (connection reuse, proxies, tests). */
  agent?: Agent;
}

const UNCONFIGURED = 'VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT are not set';

/** Web push (RFC 8030 + VAPID) through web-push, which encrypts the payload for the subscription. */
export class PushTransport implements NotificationTransport<PushTarget> {
  readonly channel = 'push' as const;
  private readonly vapid?: { subject: string; publicKey: string; privateKey: string };
  private readonly timeoutMs: number;
  private readonly ttlSeconds: number;

  constructor(
    config: Pick<NotificationsConfig, 'push' | 'timeoutMs'>,
    private readonly options: PushTransportOptions = {},
  ) {
    this.timeoutMs = config.timeoutMs;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS;
    if (config.push) {
      this.vapid = { subject: config.push.vapidSubject, publicKey: config.push.vapidPublicKey, privateKey: config.push.vapidPrivateKey };
    }
  }

  unavailableReason(): string | undefined {
    return this.vapid ? undefined : UNCONFIGURED;
  }

  async send(target: PushTarget, notification: OutgoingNotification): Promise<SendResult> {
    const vapid = this.vapid;
    if (!vapid) throw new ChannelUnavailableError(this.channel, UNCONFIGURED);
    const subscription = normalizeSubscription(target);
    if (typeof subscription === 'string') throw new PermanentDeliveryError(this.channel, `the push subscription is unusable: ${subscription}`);
    const payload = JSON.stringify({ title: notification.title, body: notification.body, url: notification.url, tag: notification.tag });
    const options: RequestOptions = { vapidDetails: vapid, TTL: this.ttlSeconds, timeout: this.timeoutMs, contentEncoding: 'aes128gcm' };
    if (this.options.agent) options.agent = this.options.agent;
    try {
      const result = await sendNotification(subscription, payload, options);
      // RFC 8030: the push service names the message it created in Location.
      return { providerMessageId: result.headers['location'] ?? undefined };
    } catch (error) {
      throw this.toDeliveryError(error);
    }
  }

  private toDeliveryError(error: unknown): DeliveryError {
    if (!(error instanceof WebPushError)) {
      // No HTTP answer: connection refused or reset, DNS, TLS, or web-push's socket timeout.
      const code = networkErrorCode(error);
      const what =
        code ?? (/timeout/i.test(String((error as { message?: unknown } | undefined)?.message)) ? `no reply within ${this.timeoutMs} ms` : 'network error');
      return new TransientDeliveryError(this.channel, `could not reach the push service (${what})`, { providerCode: code });
    }
    const status = error.statusCode;
    const detail = error.body ? `: ${redactContacts(error.body)}` : '';
    if (status === 404 || status === 410) return new SubscriptionGoneError(status);
    if (status === 429 || status >= 500) {
      return new TransientDeliveryError(this.channel, `the push service is unavailable (HTTP ${status})${detail}`, {
        retryAfterMs: retryAfter(error.headers),
        providerCode: String(status),
      });
    }
    if (status === 401) {
      // Our VAPID signature was refused: every subscription is affected, so it is the channel's failure.
      return new TransientDeliveryError(this.channel, `the push service refused the VAPID credentials (HTTP 401)${detail}`, {
        providerCode: '401',
      });
    }
    // 400 malformed, 403 key mismatch with the subscription, 413 payload too large, other 4xx.
    return new PermanentDeliveryError(this.channel, `the push service rejected the notification (HTTP ${status})${detail}`, String(status));
  }
}

function retryAfter(headers: Readonly<Record<string, string>> | undefined): number | undefined {
  return parseRetryAfter(headers?.['retry-after']);
}

let probe: ECDH | undefined;

/**
 * The subscription with its keys in base64url, or why it cannot work. Catches up front what
 * would make web-push throw before sending, so a broken subscription reads as permanent
 * rather than as a network failure.
 */
function normalizeSubscription(target: PushTarget): PushTarget | string {
  let endpoint: URL;
  try {
    endpoint = new URL(target.endpoint);
  } catch {
    return 'the endpoint is not a URL';
  }
  if (endpoint.protocol !== 'https:') return 'the endpoint is not https';
  const p256dh = decodeBase64Url(target.keys?.p256dh);
  if (!p256dh || p256dh.length !== 65 || p256dh[0] !== 0x04) return 'keys.p256dh is not a P-256 public key';
  try {
    probe ??= (() => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return ecdh;
    })();
    probe.computeSecret(p256dh); // throws when the point is not on the curve
  } catch {
    return 'keys.p256dh is not a P-256 public key';
  }
  const auth = decodeBase64Url(target.keys?.auth);
  if (!auth || auth.length < 16) return 'keys.auth is not a 16-byte secret';
  return { endpoint: target.endpoint, keys: { p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') } };
}

function decodeBase64Url(value: string | undefined): Buffer | undefined {
  // Browsers send base64url; some stores keep padded base64. Accept both.
  if (typeof value !== 'string' || !/^[A-Za-z0-9_\-+/]+=*$/.test(value)) return undefined;
  return Buffer.from(value.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
}
