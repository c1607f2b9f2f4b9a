import type { TransportChannel } from './notification.transport';

/*
 * Messages here end up in the notifications table and in logs, so they never carry a
 * recipient's address, phone number or the notification text; provider replies are passed
 * through redactContacts() first. Provider errors are not attached as `cause` for the same
 * reason (their messages often quote the recipient).
 */

/** Every failure a transport reports; `retryable` says whether running the job again can help. */
export abstract class DeliveryError extends Error {
  abstract readonly retryable: boolean;

  protected constructor(
    readonly channel: TransportChannel,
    message: string,
  ) {
    super(message);
  }
}

/** Retrying cannot help: the provider refused this recipient or this notification for good. */
export class PermanentDeliveryError extends DeliveryError {
  override name = 'PermanentDeliveryError';
  readonly retryable = false;

  constructor(
    channel: TransportChannel,
    message: string,
    /** The provider's code, e.g. '550' (SMTP), '21211' (Twilio), '403' (push HTTP status). */
    readonly providerCode?: string,
  ) {
    super(channel, message);
  }
}

/** The push service says the subscription no longer exists (404/410): the caller deletes it. */
export class SubscriptionGoneError extends PermanentDeliveryError {
  override name = 'SubscriptionGoneError';

  constructor(readonly statusCode: number) {
    super('push', `the push service no longer knows this subscription (HTTP ${statusCode}); remove it`, String(statusCode));
  }
}

/** The provider is slow, down or busy: try again later (after retryAfterMs when it said so). */
export class TransientDeliveryError extends DeliveryError {
  override name = 'TransientDeliveryError';
  readonly retryable = true;
  /** How long the provider asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs?: number;
  readonly providerCode?: string;

  constructor(channel: TransportChannel, message: string, options: { retryAfterMs?: number; providerCode?: string } = {}) {
    super(channel, message);
    this.retryAfterMs = options.retryAfterMs;
    this.providerCode = options.providerCode;
  }
}

/** The channel is not configured: record the notification `skipped` with this reason. */
export class ChannelUnavailableError extends DeliveryError {
  override name = 'ChannelUnavailableError';
  readonly retryable = false;

  constructor(
    channel: TransportChannel,
    readonly reason: string,
  ) {
    super(channel, `${channel} is not available: ${reason}`);
  }
}

/** The channel's provider failed repeatedly; nothing was sent. Retry at or after retryAt. */
export class CircuitOpenError extends DeliveryError {
  override name = 'CircuitOpenError';
  readonly retryable = true;

  constructor(
    channel: TransportChannel,
    readonly retryAt: Date,
  ) {
    super(channel, `the ${channel} circuit is open after repeated provider failures; not sent, retry after ${retryAt.toISOString()}`);
  }
}
