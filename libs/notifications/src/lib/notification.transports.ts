import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { CircuitBreaker } from './circuit.breaker';
import type { CircuitBreakerOptions, CircuitSnapshot } from './circuit.breaker';
import { ChannelUnavailableError } from './delivery.errors';
import { EmailTransport } from './email.transport';
import type { EmailTarget, NotificationTransport, OutgoingNotification, PushTarget, SendResult, SmsTarget, TransportChannel } from './notification.transport';
import type { NotificationsConfig } from './notifications.config';
import { PushTransport } from './push.transport';
import type { PushTransportOptions } from './push.transport';
import { SmsTransport } from './sms.transport';

/** A transport whose sends go through its channel's circuit breaker. */
export class BreakerGuardedTransport<Target> implements NotificationTransport<Target> {
  constructor(
    private readonly inner: NotificationTransport<Target>,
    readonly breaker: CircuitBreaker,
  ) {}

  get channel(): TransportChannel {
    return this.inner.channel;
  }

  unavailableReason(): string | undefined {
    return this.inner.unavailableReason();
  }

  send(target: Target, notification: OutgoingNotification): Promise<SendResult> {
    // Checked first: an unconfigured channel is `skipped`, never "circuit open".
    const reason = this.inner.unavailableReason();
    if (reason) return Promise.reject(new ChannelUnavailableError(this.channel, reason));
    return this.breaker.execute(() => this.inner.send(target, notification));
  }
}

export interface NotificationTransportsOptions {
  breaker?: Omit<CircuitBreakerOptions, 'onStateChange'>;
  push?: PushTransportOptions;
}

/**
 * The three provider channels, each behind its own circuit breaker, built from the config.
 * A channel that is not configured is still here: its unavailableReason() says why and its
 * send() throws ChannelUnavailableError.
 */
@Injectable()
export class NotificationTransports implements OnApplicationShutdown {
  readonly email: BreakerGuardedTransport<EmailTarget>;
  readonly push: BreakerGuardedTransport<PushTarget>;
  readonly sms: BreakerGuardedTransport<SmsTarget>;
  private readonly logger = new Logger(NotificationTransports.name);
  private readonly emailTransport: EmailTransport;

  constructor(config: NotificationsConfig, options: NotificationTransportsOptions = {}) {
    const breakerFor = (channel: TransportChannel) =>
      new CircuitBreaker(channel, {
        ...options.breaker,
        onStateChange: ({ from, to, consecutiveFailures }) => {
          const message = `${channel} circuit ${from} -> ${to}`;
          if (to === 'open') this.logger.warn(`${message} after ${consecutiveFailures} consecutive provider failures`);
          else this.logger.log(message);
        },
      });
    this.emailTransport = new EmailTransport(config);
    this.email = new BreakerGuardedTransport(this.emailTransport, breakerFor('email'));
    this.push = new BreakerGuardedTransport(new PushTransport(config, options.push), breakerFor('push'));
    this.sms = new BreakerGuardedTransport(new SmsTransport(config), breakerFor('sms'));
    for (const transport of [this.email, this.push, this.sms]) {
      const reason = transport.unavailableReason();
      if (reason) this.logger.log(`${transport.channel} notifications are off: ${reason}`);
    }
  }

  /** Each channel's breaker, for metrics and health. */
  snapshot(): CircuitSnapshot[] {
    return [this.email, this.push, this.sms].map((transport) => transport.breaker.snapshot());
  }

  /** Closes the SMTP pool (a delivery in progress finishes first). */
  close(): void {
    this.emailTransport.close();
  }

  onApplicationShutdown(): void {
    this.close();
  }
}
