import { createTransport } from 'nodemailer';
import type { NodemailerError, SMTPPoolOptions, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import { ChannelUnavailableError, DeliveryError, PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';
import type { EmailTarget, NotificationTransport, OutgoingNotification, SendResult } from './notification.transport';
import type { NotificationsConfig } from './notifications.config';
import { isAbortError, redactContacts } from './provider-response';

// Deliberately plain: one @, no spaces or brackets. The SMTP server is the real judge; this
// only stops input that could never be an address (or could smuggle header syntax).
const EMAIL_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** Email over SMTP (nodemailer, pooled connections), from SMTP_URL. */
export class EmailTransport implements NotificationTransport<EmailTarget> {
  readonly channel = 'email' as const;
  private readonly mailer?: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;
  private readonly timeoutMs: number;
  private readonly bounceDomain?: string;

  constructor(config: Pick<NotificationsConfig, 'email' | 'timeoutMs'>) {
    this.timeoutMs = config.timeoutMs;
    if (!config.email) return;
    this.bounceDomain = config.email.bounceDomain;
    this.mailer = createTransport(
      {
        pool: true,
        url: config.email.smtpUrl,
        maxConnections: 5,
        connectionTimeout: config.timeoutMs,
        greetingTimeout: config.timeoutMs,
        socketTimeout: config.timeoutMs,
        dnsTimeout: config.timeoutMs,
        // Only the text we pass goes out: no attachments or remote content, ever.
        disableFileAccess: true,
        disableUrlAccess: true,
        // nodemailer's logger would print addresses (and with debug, the message).
        logger: false,
        debug: false,
      },
      { from: config.email.from },
    );
  }

  unavailableReason(): string | undefined {
    return this.mailer ? undefined : 'SMTP_URL is not set';
  }

  async send(target: EmailTarget, notification: OutgoingNotification): Promise<SendResult> {
    const mailer = this.mailer;
    if (!mailer) throw new ChannelUnavailableError(this.channel, 'SMTP_URL is not set');
    const to = target.to.trim();
    if (!EMAIL_ADDRESS.test(to)) throw new PermanentDeliveryError(this.channel, 'the recipient email address is not valid');
    const link = absoluteHttpUrl(notification.url);
    const displayName = target.displayName?.replace(/[\r\n]+/g, ' ').trim();
    try {
      const info = await mailer.sendMail({
        to: displayName ? { name: displayName, address: to } : to,
        subject: notification.title.replace(/[\r\n]+/g, ' '),
        text: link ? `${notification.body}\n\n${link}\n` : `${notification.body}\n`,
        html: renderHtml(notification, link),
        // RFC 3834: tells auto-responders (out-of-office) not to answer a robot.
        headers: { 'Auto-Submitted': 'auto-generated' },
        ...this.feedbackAddressing(notification.reference, to),
        // Bounds the whole send, including waiting for a free pooled connection.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Stored without the brackets: webhooks quote it bare.
      return { providerMessageId: info.messageId?.replace(/^<|>$/g, '') };
    } catch (error) {
      throw this.toDeliveryError(error);
    }
  }

  /**
   * With a reference and BOUNCE_DOMAIN: a Message-ID naming the notification (webhooks such as
   * Mailgun's quote it) and the envelope sender bounces+<id>@BOUNCE_DOMAIN (VERP), so a DSN
   * reaches the bounce receiver already saying which notification bounced.
   */
  private feedbackAddressing(reference: string | undefined, to: string): { messageId?: string; envelope?: { from: string; to: string } } {
    if (!reference || !this.bounceDomain || !/^[0-9a-f-]{36}$/i.test(reference)) return {};
    return { messageId: `<${reference}@${this.bounceDomain}>`, envelope: { from: `bounces+${reference}@${this.bounceDomain}`, to } };
  }

  /** Closes the pooled connections; a delivery in progress finishes first. */
  close(): void {
    this.mailer?.close();
  }

  private toDeliveryError(error: unknown): DeliveryError {
    if (isAbortError(error)) return new TransientDeliveryError(this.channel, `the SMTP send timed out after ${this.timeoutMs} ms`);
    const smtp = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
    const code = smtp.code;
    if (code === 'EAUTH' || code === 'ENOAUTH') {
      // Credentials are the whole channel's problem, not this recipient's: retry, and let the breaker see it.
      const reply = smtp.response ? `: ${redactContacts(smtp.response)}` : '';
      return new TransientDeliveryError(this.channel, `the SMTP server refused the credentials in SMTP_URL${reply}`, {
        providerCode: smtp.responseCode ? String(smtp.responseCode) : code,
      });
    }
    if (typeof smtp.responseCode === 'number') {
      const reply = redactContacts(smtp.response ?? String(smtp.responseCode));
      const providerCode = String(smtp.responseCode);
      const permanent = smtp.permanent ?? (smtp.responseCode >= 500 && smtp.responseCode < 600 && smtp.responseCode !== 503);
      if (permanent && smtp.command?.toUpperCase().startsWith('MAIL')) {
        // The sender was refused: SMTP_FROM or the account is wrong, which no recipient can fix.
        return new TransientDeliveryError(this.channel, `the SMTP server refused the sender (SMTP_FROM): ${reply}`, { providerCode });
      }
      return permanent
        ? new PermanentDeliveryError(this.channel, `the SMTP server rejected the message: ${reply}`, providerCode)
        : new TransientDeliveryError(this.channel, `the SMTP server deferred the message: ${reply}`, { providerCode });
    }
    if (code === 'EABORT') return new TransientDeliveryError(this.channel, `the SMTP send timed out after ${this.timeoutMs} ms`);
    if (code === 'EENVELOPE' || code === 'EMESSAGE' || code === 'EMAXRECIPIENTS') {
      return new PermanentDeliveryError(this.channel, `the message could not be addressed or built (${code})`, code);
    }
    // Connection refused, DNS, TLS, timeouts, dropped connections, protocol noise: the server's side.
    const cause = smtp.originalCode ?? smtp.timeoutType ?? code ?? 'unknown error';
    return new TransientDeliveryError(this.channel, `could not deliver to the SMTP server (${cause})`, { providerCode: code });
  }
}

function absoluteHttpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** The same words as the text part; every interpolated value is escaped. */
function renderHtml(notification: OutgoingNotification, link: string | undefined): string {
  const paragraphs = notification.body
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\r?\n/g, '<br>')}</p>`)
    .join('');
  const action = link ? `<p><a href="${escapeHtml(link)}">Open</a></p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(notification.title)}</title></head><body>${paragraphs}${action}</body></html>`;
}
