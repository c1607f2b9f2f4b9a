import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { generateVAPIDKeys } from 'web-push';
import { CircuitBreaker } from './circuit.breaker';
import { ChannelUnavailableError, CircuitOpenError, PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';
import { EmailTransport } from './email.transport';
import type { NotificationTransport, OutgoingNotification, SmsTarget } from './notification.transport';
import { BreakerGuardedTransport, NotificationTransports } from './notification.transports';
import { NotificationsModule } from './notifications.module';
import { PushTransport } from './push.transport';
import { SmsTransport } from './sms.transport';

// The transports log which channels are off; keep test output to the results.
Logger.overrideLogger(false);

const notification: OutgoingNotification = { title: 'New message from Alice', body: 'Open the app to read it.' };

describe('unconfigured channels', () => {
  const transports = new NotificationTransports({ timeoutMs: 1_000 });
  afterAll(() => transports.close());

  it.each([
    ['email', () => transports.email.unavailableReason(), /SMTP_URL/],
    ['push', () => transports.push.unavailableReason(), /VAPID_PUBLIC_KEY.*VAPID_PRIVATE_KEY.*VAPID_SUBJECT/],
    ['sms', () => transports.sms.unavailableReason(), /TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN.*TWILIO_FROM/],
  ])('%s names the missing variables', (_channel, reason, pattern) => {
    expect(reason()).toMatch(pattern);
  });

  it('send throws ChannelUnavailableError with the reason, and the breakers never see it', async () => {
    const sends = [
      transports.email.send({ to: 'bob@school.test' }, notification),
      transports.push.send({ endpoint: 'https://push.example/x', keys: { p256dh: 'a', auth: 'b' } }, notification),
      transports.sms.send({ to: '+15005550006' }, notification),
    ];
    const errors = await Promise.all(
      sends.map((send) =>
        send.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    expect(errors.map((e) => e instanceof ChannelUnavailableError && [e.channel, e.retryable])).toEqual([
      ['email', false],
      ['push', false],
      ['sms', false],
    ]);
    expect((errors[0] as ChannelUnavailableError).reason).toBe('SMTP_URL is not set');
    expect(transports.snapshot().map((s) => [s.channel, s.state, s.rejectedCalls])).toEqual([
      ['email', 'closed', 0],
      ['push', 'closed', 0],
      ['sms', 'closed', 0],
    ]);
  });

  it('the bare transports say the same', async () => {
    await expect(new SmsTransport({ timeoutMs: 1_000 }).send({ to: '+15005550006' }, notification)).rejects.toBeInstanceOf(ChannelUnavailableError);
    await expect(
      new PushTransport({ timeoutMs: 1_000 }).send({ endpoint: 'https://p.example', keys: { p256dh: 'a', auth: 'b' } }, notification),
    ).rejects.toThrow(/VAPID_PUBLIC_KEY/);
    await expect(new EmailTransport({ timeoutMs: 1_000 }).send({ to: 'a@b.c' }, notification)).rejects.toThrow('email is not available: SMTP_URL is not set');
  });
});

describe('targets that can never work are permanent, before any network call', () => {
  const vapid = generateVAPIDKeys();
  // Nothing listens on port 9 (discard); these tests must fail before connecting anyway.
  const config = {
    timeoutMs: 1_000,
    email: { smtpUrl: 'smtp://127.0.0.1:9', from: 'School <no-reply@school.test>' },
    push: { vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey, vapidSubject: 'mailto:it@school.test' },
    sms: { accountSid: `AC${'0'.repeat(32)}`, authToken: 'token-123456', from: '+15005550006', baseUrl: 'http://127.0.0.1:9' },
  };
  const email = new EmailTransport(config);
  const push = new PushTransport(config);
  const sms = new SmsTransport(config);
  afterAll(() => email.close());

  it('email: an address that is not one', async () => {
    for (const to of ['bob', 'bob@', 'bob@school.test\r\nBcc: eve@evil.test', 'a b@c.d']) {
      const error = await email.send({ to }, notification).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as Error).message).toBe('the recipient email address is not valid');
    }
  });

  it('sms: a number that is not E.164', async () => {
    for (const to of ['5550006', '+0123', 'call me']) {
      const error = await sms.send({ to }, notification).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as Error).message).not.toContain(to);
    }
  });

  it('push: a subscription with a bad endpoint or keys', async () => {
    const goodKey = vapid.publicKey; // any uncompressed P-256 point will do as a p256dh
    const goodAuth = Buffer.alloc(16, 7).toString('base64url');
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
    const cases = [
      { endpoint: 'not a url', keys: { p256dh: goodKey, auth: goodAuth } },
      { endpoint: 'http://push.example/x', keys: { p256dh: goodKey, auth: goodAuth } },
      { endpoint: 'https://push.example/x', keys: { p256dh: 'AAAA', auth: goodAuth } },
      { endpoint: 'https://push.example/x', keys: { p256dh: offCurve, auth: goodAuth } },
      { endpoint: 'https://push.example/x', keys: { p256dh: goodKey, auth: 'AAAA' } },
    ];
    for (const target of cases) {
      const error = await push.send(target, notification).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as Error).message).toMatch(/^the push subscription is unusable: /);
    }
  });
});

describe('BreakerGuardedTransport', () => {
  afterEach(() => jest.useRealTimers());

  class FlakySms implements NotificationTransport<SmsTarget> {
    readonly channel = 'sms' as const;
    calls = 0;
    outcome: () => Promise<{ providerMessageId?: string }> = () => Promise.reject(new TransientDeliveryError('sms', 'HTTP 503'));
    unavailableReason(): string | undefined {
      return undefined;
    }
    send(): Promise<{ providerMessageId?: string }> {
      this.calls++;
      return this.outcome();
    }
  }

  it('sends through the breaker: opens after the threshold, then refuses without calling the provider', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    const inner = new FlakySms();
    const guarded = new BreakerGuardedTransport(inner, new CircuitBreaker('sms', { failureThreshold: 2, cooldownMs: 1_000 }));
    await expect(guarded.send({ to: '+15005550006' }, notification)).rejects.toBeInstanceOf(TransientDeliveryError);
    await expect(guarded.send({ to: '+15005550006' }, notification)).rejects.toBeInstanceOf(TransientDeliveryError);
    await expect(guarded.send({ to: '+15005550006' }, notification)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(inner.calls).toBe(2);
    jest.setSystemTime(Date.now() + 1_000);
    inner.outcome = () => Promise.resolve({ providerMessageId: 'SM1' });
    await expect(guarded.send({ to: '+15005550006' }, notification)).resolves.toEqual({ providerMessageId: 'SM1' });
    expect(guarded.breaker.state).toBe('closed');
    expect(guarded.channel).toBe('sms');
  });
});

describe('NotificationsModule', () => {
  it('provides NotificationTransports globally and closes the SMTP pool on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [NotificationsModule.forRoot({ timeoutMs: 1_000, email: { smtpUrl: 'smtp://127.0.0.1:9', from: 'a@b.c' } })],
    }).compile();
    const app = await moduleRef.init();
    const transports = app.get(NotificationTransports);
    expect(transports.email.unavailableReason()).toBeUndefined();
    expect(transports.sms.unavailableReason()).toMatch(/TWILIO_ACCOUNT_SID/);
    const close = jest.spyOn(transports, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
