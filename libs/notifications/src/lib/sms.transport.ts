import { ChannelUnavailableError, DeliveryError, PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';
import type { NotificationTransport, OutgoingNotification, SendResult, SmsTarget } from './notification.transport';
import { E164 } from './notifications.config';
import type { NotificationsConfig } from './notifications.config';
import { isAbortError, networkErrorCode, parseRetryAfter, redactContacts } from './provider-response';

const UNCONFIGURED = 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are not set';
/** Twilio's limit for one message body (it splits into segments itself). */
const MAX_BODY_CHARS = 1600;

interface TwilioError {
  code?: number;
  message?: string;
  status?: number;
}

/** SMS through Twilio's Messages API, with plain fetch (no SDK): one POST per message. */
export class SmsTransport implements NotificationTransport<SmsTarget> {
  readonly channel = 'sms' as const;
  private readonly endpoint?: string;
  private readonly authorization?: string;
  private readonly from?: string;
  private readonly statusCallback?: string;
  private readonly timeoutMs: number;

  constructor(config: Pick<NotificationsConfig, 'sms' | 'timeoutMs'>) {
    this.timeoutMs = config.timeoutMs;
    const sms = config.sms;
    if (!sms) return;
    this.endpoint = `${sms.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(sms.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${sms.accountSid}:${sms.authToken}`).toString('base64')}`;
    this.from = sms.from;
    this.statusCallback = sms.statusCallbackUrl;
  }

  unavailableReason(): string | undefined {
    return this.endpoint ? undefined : UNCONFIGURED;
  }

  async send(target: SmsTarget, notification: OutgoingNotification): Promise<SendResult> {
    if (!this.endpoint || !this.authorization || !this.from) throw new ChannelUnavailableError(this.channel, UNCONFIGURED);
    const to = target.to.trim();
    if (!E164.test(to)) throw new PermanentDeliveryError(this.channel, 'the recipient phone number is not in E.164 form');
    const form = new URLSearchParams({ To: to, From: this.from, Body: smsText(notification) });
    // Twilio then posts queued/sent/delivered/undelivered/failed to the api (TWILIO_STATUS_PATH).
    if (this.statusCallback) form.set('StatusCallback', this.statusCallback);
    let response: Response;
    let text: string;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          Authorization: this.authorization,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body: form.toString(),
        // A redirect would carry the credentials elsewhere; Twilio's API never redirects.
        redirect: 'error',
        signal,
      });
    } catch (error) {
      throw this.networkError(error);
    }
    try {
      text = await response.text();
    } catch (error) {
      // Twilio took the request; sending again could text the person twice.
      if (response.ok) return {};
      throw this.networkError(error);
    }
    if (response.ok) {
      const sid = parseJson<{ sid?: unknown }>(text)?.sid;
      return { providerMessageId: typeof sid === 'string' ? sid : undefined };
    }
    throw this.httpError(response, parseJson<TwilioError>(text));
  }

  private networkError(error: unknown): DeliveryError {
    if (isAbortError(error)) return new TransientDeliveryError(this.channel, `Twilio did not answer within ${this.timeoutMs} ms`);
    const code = networkErrorCode(error);
    return new TransientDeliveryError(this.channel, `could not reach Twilio (${code ?? 'network error'})`, { providerCode: code });
  }

  private httpError(response: Response, body: TwilioError | undefined): DeliveryError {
    const status = response.status;
    const providerCode = typeof body?.code === 'number' ? String(body.code) : String(status);
    const said = typeof body?.message === 'string' ? `: ${redactContacts(body.message)}` : '';
    const what = `HTTP ${status}${typeof body?.code === 'number' ? `, code ${body.code}` : ''}`;
    if (status === 429 || status >= 500) {
      return new TransientDeliveryError(this.channel, `Twilio is unavailable (${what})${said}`, {
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        providerCode,
      });
    }
    if (status === 401 || status === 403 || status === 404) {
      // Wrong credentials, account or base URL: the whole channel is down, not this number.
      return new TransientDeliveryError(
        this.channel,
        `Twilio refused the account (${what}); check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_BASE_URL${said}`,
        { providerCode },
      );
    }
    // 400 and the rest: this number or this message (21211 invalid To, 21610 unsubscribed...).
    return new PermanentDeliveryError(this.channel, `Twilio rejected the SMS (${what})${said}`, providerCode);
  }
}

function smsText(notification: OutgoingNotification): string {
  const link = notification.url && /^https?:\/\//i.test(notification.url) ? `\n${notification.url}` : '';
  const text = `${notification.title}\n${notification.body}${link}`;
  const chars = Array.from(text); // by code point, so an emoji is never cut in half
  return chars.length > MAX_BODY_CHARS ? `${chars.slice(0, MAX_BODY_CHARS - 1).join('')}…` : text;
}

function parseJson<T extends object>(text: string): Partial<T> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}
