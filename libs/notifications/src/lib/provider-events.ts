import type { ProviderStatus } from '@mq/messaging-contracts';
import { redactContacts } from './provider-response';

/** A provider's report, reduced to what the notification row records. */
export interface ProviderReport {
  status: ProviderStatus;
  /** The provider's reason, contacts redacted; null when it gave none. */
  detail: string | null;
}

/**
 * Mailgun's event-data: `failed` with severity permanent is a bounce (temporary failures are
 * retried by Mailgun itself), `complained` a spam complaint, `delivered` the receiving server's
 * acceptance. Anything else (opened, clicked, accepted...) records nothing.
 */
export function mailgunReport(event: { event?: unknown; severity?: unknown; reason?: unknown; 'delivery-status'?: unknown }): ProviderReport | undefined {
  const status = (event['delivery-status'] ?? {}) as { code?: unknown; description?: unknown; message?: unknown };
  const said = [status.code, status.description || status.message || event.reason]
    .filter((part) => typeof part === 'string' || typeof part === 'number')
    .join(' ');
  const detail = said ? redactContacts(said) : null;
  if (event.event === 'failed') return event.severity === 'permanent' ? { status: 'bounced', detail } : undefined;
  if (event.event === 'complained') return { status: 'complained', detail: 'the recipient marked it as spam' };
  if (event.event === 'delivered') return { status: 'delivered', detail: null };
  return undefined;
}

/** Twilio's MessageStatus: delivered, or undelivered/failed with its ErrorCode; queued/sent/accepted... record nothing. */
export function twilioReport(params: Readonly<Record<string, string>>): ProviderReport | undefined {
  const status = params['MessageStatus'];
  if (status === 'delivered') return { status: 'delivered', detail: null };
  if (status === 'undelivered' || status === 'failed') {
    const code = params['ErrorCode'];
    return { status: 'undelivered', detail: `Twilio ${status}${code && /^\d{1,6}$/.test(code) ? ` (error ${code})` : ''}` };
  }
  return undefined;
}

/**
 * A delivery-status part (RFC 3464) of a DSN: the per-recipient fields' Action and Status.
 * A permanent failure (Action: failed, Status 5.x.x) is a bounce; delays and successes record nothing.
 */
export function dsnReport(deliveryStatus: string): ProviderReport | undefined {
  const fields = new Map<string, string>();
  // Header folding: a continuation line starts with white space.
  for (const line of deliveryStatus.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) fields.set(match[1].toLowerCase(), match[2].trim());
  }
  const action = fields.get('action')?.toLowerCase();
  const status = fields.get('status') ?? '';
  if (action !== 'failed' || !/^5\.\d{1,3}\.\d{1,3}/.test(status)) return undefined;
  const diagnostic = fields.get('diagnostic-code')?.replace(/^smtp;\s*/i, '');
  return { status: 'bounced', detail: redactContacts(`DSN ${status}${diagnostic ? `: ${diagnostic}` : ''}`) };
}
