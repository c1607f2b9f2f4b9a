/** The channels backed by an outside provider. In-app notifications are rows + socket events, handled elsewhere. */
export type TransportChannel = 'email' | 'push' | 'sms';

export const TRANSPORT_CHANNELS: readonly TransportChannel[] = Object.freeze(['email', 'push', 'sms']);

/**
 * What a notification says. Never message plaintext: a title like "New message from Alice"
 * and a short body, so a provider, a lock screen or an inbox never holds the conversation.
 */
export interface OutgoingNotification {
  title: string;
  body: string;
  /** Where tapping or clicking leads. Email includes it only when it is an absolute http(s) URL. */
  url?: string;
  /** Lets a device replace an older notification about the same thing (push). */
  tag?: string;
  /**
   * Our id of the notification (a UUID), for providers' later reports: email puts it in the
   * Message-ID and the VERP Return-Path when BOUNCE_DOMAIN is set.
   */
  reference?: string;
}

export interface EmailTarget {
  to: string;
  displayName?: string;
}

/** A browser's PushSubscription, as `subscription.toJSON()` gives it. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface SmsTarget {
  /** E.164, e.g. +15005550006. */
  to: string;
}

export interface SendResult {
  /** The provider's id for what it accepted (SMTP Message-ID, push Location, Twilio sid), when it gives one. */
  providerMessageId?: string;
}

/**
 * One real provider behind one shape. `send` resolves when the provider accepted the
 * notification and otherwise rejects with one of the delivery errors, so the caller can tell
 * "retry later" from "give up" from "not configured" without knowing the provider.
 */
export interface NotificationTransport<Target> {
  readonly channel: TransportChannel;
  /** undefined when usable, else why not (e.g. 'SMTP_URL is not set'). */
  unavailableReason(): string | undefined;
  send(target: Target, notification: OutgoingNotification): Promise<SendResult>;
}
