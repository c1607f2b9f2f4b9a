import { Logger } from '@nestjs/common';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitOpenError, PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';
import type { OutgoingNotification } from './notification.transport';
import { NotificationTransports } from './notification.transports';
import type { SmsConfig } from './notifications.config';
import { SmsTransport } from './sms.transport';

/* A local node:http server speaking Twilio's Messages API (the parts we use). */

interface TwilioRequest {
  method?: string;
  path?: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

interface TwilioAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

const SID = `AC${'a1b2c3d4'.repeat(4)}`;
const TOKEN = 'twilio-test-token-42';

const notification: OutgoingNotification = {
  title: 'New message from Alice',
  body: 'Open the app to read it.',
  url: 'https://school.example/conversations/42',
};

describe('SmsTransport against a local Twilio', () => {
  const requests: TwilioRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let answer: (request: TwilioRequest) => TwilioAnswer = () => ({ status: 500 });
  let server: Server;
  let sms: SmsConfig;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method, path: req.url, headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) };
        requests.push(request);
        const { status, body, headers = {}, delayMs } = answer(request);
        const respond = () => res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
        if (delayMs) timers.add(setTimeout(respond, delayMs));
        else respond();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sms = { accountSid: SID, authToken: TOKEN, from: '+15005550006', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  });

  beforeEach(() => {
    requests.length = 0;
  });

  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const transport = (timeoutMs = 5_000) => new SmsTransport({ timeoutMs, sms });

  it('201: posts the form with basic auth to the account’s Messages resource and returns the sid', async () => {
    answer = () => ({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } });
    const result = await transport().send({ to: '+447700900123' }, notification);

    expect(result).toEqual({ providerMessageId: 'SM0123456789abcdef0123456789abcdef' });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(request.headers['authorization']).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(request.form)).toEqual({
      To: '+447700900123',
      From: '+15005550006',
      Body: 'New message from Alice\nOpen the app to read it.\nhttps://school.example/conversations/42',
    });
  });

  it('with a status callback URL: asks Twilio to post the message status there', async () => {
    answer = () => ({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } });
    const withCallback = new SmsTransport({ timeoutMs: 5_000, sms: { ...sms, statusCallbackUrl: 'https://school.example/api/providers/twilio/status' } });
    await withCallback.send({ to: '+447700900123' }, notification);
    expect(requests[0]?.form.get('StatusCallback')).toBe('https://school.example/api/providers/twilio/status');
  });

  it('400 with code 21211: permanent, with Twilio’s code and words but not the number', async () => {
    answer = () => ({
      status: 400,
      body: {
        code: 21211,
        message: "The 'To' number +15005550001 is not a valid phone number.",
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      },
    });
    const error = await transport()
      .send({ to: '+15005550001' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    const permanent = error as PermanentDeliveryError;
    expect(permanent.message).toContain('21211');
    expect(permanent.message).toContain('is not a valid phone number');
    expect(permanent.message).not.toContain('5550001');
    expect(permanent.providerCode).toBe('21211');
  });

  it('503: transient', async () => {
    answer = () => ({ status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } });
    const error = await transport()
      .send({ to: '+447700900123' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).providerCode).toBe('20503');
  });

  it('429 with Retry-After: transient with retryAfterMs', async () => {
    answer = () => ({ status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 }, headers: { 'Retry-After': '5' } });
    const error = await transport()
      .send({ to: '+447700900123' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBe(5_000);
  });

  it('401: the account is wrong, which is the channel’s failure (transient), and the token is not in the message', async () => {
    answer = () => ({ status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } });
    const error = await transport()
      .send({ to: '+447700900123' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toMatch(/TWILIO_AUTH_TOKEN/);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('a non-JSON error page still maps by status', async () => {
    answer = () => ({ status: 502, headers: { 'Content-Type': 'text/html' } });
    await expect(transport().send({ to: '+447700900123' }, notification)).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('no answer within the timeout: transient', async () => {
    answer = () => ({ status: 201, body: { sid: 'SMlate' }, delayMs: 2_000 });
    const error = await transport(300)
      .send({ to: '+447700900123' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toBe('Twilio did not answer within 300 ms');
  });

  it('connection refused: transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await new SmsTransport({ timeoutMs: 2_000, sms: { ...sms, baseUrl: `http://127.0.0.1:${port}` } })
      .send({ to: '+447700900123' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toBe('could not reach Twilio (ECONNREFUSED)');
  });

  it('through NotificationTransports: a failing Twilio opens the sms circuit and is then left alone', async () => {
    Logger.overrideLogger(false);
    answer = () => ({ status: 503, body: { code: 20503, message: 'Service unavailable', status: 503 } });
    const transports = new NotificationTransports({ timeoutMs: 2_000, sms }, { breaker: { failureThreshold: 3, cooldownMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i++) await expect(transports.sms.send({ to: '+447700900123' }, notification)).rejects.toBeInstanceOf(TransientDeliveryError);
      const error = await transports.sms.send({ to: '+447700900123' }, notification).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(requests).toHaveLength(3);
      expect(transports.snapshot().find((s) => s.channel === 'sms')).toMatchObject({ state: 'open', rejectedCalls: 1, timesOpened: 1 });
      // Other channels are unaffected (and here simply not configured).
      expect(transports.email.breaker.state).toBe('closed');
    } finally {
      transports.close();
    }
  });
});
