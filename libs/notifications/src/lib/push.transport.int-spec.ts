import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import type { ECDH } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { Agent } from 'node:https';
import type { RequestOptions } from 'node:https';
import { createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { generateVAPIDKeys } from 'web-push';
import { PermanentDeliveryError, SubscriptionGoneError, TransientDeliveryError } from './delivery.errors';
import type { OutgoingNotification, PushTarget } from './notification.transport';
import { PushTransport } from './push.transport';

/*
 * A local node:http server plays the push service. web-push always speaks HTTPS, so the
 * transport is given an https.Agent whose connections are plain TCP: everything above the
 * socket (VAPID JWT, TTL, aes128gcm payload, status handling) is exactly what a real push
 * service sees.
 */
class PlainTcpAgent extends Agent {
  override createConnection(options: RequestOptions): Duplex {
    return createConnection({ host: options.host ?? '127.0.0.1', port: Number(options.port) });
  }
}

interface PushRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A browser's side of a subscription: the key pair and auth secret it would hand the app. */
function browserSubscription(endpoint: string): { target: PushTarget; ecdh: ECDH; auth: Buffer } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { target: { endpoint, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') } }, ecdh, auth };
}

/** RFC 8291 (aes128gcm, one record): what the browser does with the push body. */
function decryptPush(body: Buffer, ecdh: ECDH, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20];
  const serverPublicKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), serverPublicKey]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdh.computeSecret(serverPublicKey), auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  const end = padded.lastIndexOf(2); // last-record delimiter, then zero padding
  return padded.subarray(0, end).toString('utf8');
}

function verifyVapidJwt(jwt: string, publicKey: string): { aud: string; sub: string; exp: number } {
  const [header, payload, signature] = jwt.split('.');
  const point = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const valid = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!valid) throw new Error('VAPID signature does not verify');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud: string; sub: string; exp: number };
}

const notification: OutgoingNotification = {
  title: 'New message from Alice',
  body: 'Open the app to read it.',
  url: '/conversations/42',
  tag: 'conversation-42',
};

describe('PushTransport against a local push service', () => {
  const vapid = generateVAPIDKeys();
  const requests: PushRequest[] = [];
  let server: Server;
  let origin: string;
  const agent = new PlainTcpAgent();
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    // The path says how to answer: /push/<status>[?retryAfter=<seconds>][&delay=<ms>].
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://push.local');
        requests.push({ path: url.pathname, headers: req.headers, body: Buffer.concat(chunks) });
        const status = Number(url.pathname.split('/')[2]);
        const answer = () => {
          const headers: Record<string, string> = {};
          if (status === 201) headers['Location'] = `${origin}/messages/m-${requests.length}`;
          const retryAfter = url.searchParams.get('retryAfter');
          if (retryAfter) headers['Retry-After'] = retryAfter;
          res.writeHead(status, headers).end(status >= 400 ? `{"reason":"status ${status}"}` : '');
        };
        const delay = Number(url.searchParams.get('delay') ?? 0);
        if (delay) timers.add(setTimeout(answer, delay));
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const transport = (timeoutMs = 5_000) =>
    new PushTransport(
      { timeoutMs, push: { vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey, vapidSubject: 'mailto:it@school.test' } },
      { agent },
    );

  it('201: delivered with the VAPID Authorization, TTL and a payload only the subscription can read', async () => {
    const browser = browserSubscription(`${origin}/push/201`);
    const result = await transport().send(browser.target, notification);

    const request = requests.at(-1);
    expect(request?.path).toBe('/push/201');
    expect(request?.headers['ttl']).toBe('86400');
    expect(request?.headers['content-encoding']).toBe('aes128gcm');
    const authorization = request?.headers['authorization'] ?? '';
    const match = /^vapid t=([^,]+), k=(.+)$/.exec(authorization);
    expect(match?.[2]).toBe(vapid.publicKey);
    const claims = verifyVapidJwt(match?.[1] ?? '', vapid.publicKey);
    expect(claims).toMatchObject({ aud: origin, sub: 'mailto:it@school.test' });
    expect(claims.exp * 1000).toBeGreaterThan(Date.now());

    expect(request?.body.includes(Buffer.from('Alice'))).toBe(false);
    expect(JSON.parse(decryptPush(request?.body ?? Buffer.alloc(0), browser.ecdh, browser.auth))).toEqual({
      title: 'New message from Alice',
      body: 'Open the app to read it.',
      url: '/conversations/42',
      tag: 'conversation-42',
    });
    expect(result.providerMessageId).toBe(`${origin}/messages/m-${requests.length}`);
  });

  it.each([410, 404])('%i: the subscription is gone', async (status) => {
    const error = await transport()
      .send(browserSubscription(`${origin}/push/${status}`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionGoneError);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as SubscriptionGoneError).statusCode).toBe(status);
  });

  it.each([400, 403, 413])('%i: permanent for this notification', async (status) => {
    const error = await transport()
      .send(browserSubscription(`${origin}/push/${status}`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(SubscriptionGoneError);
    expect((error as PermanentDeliveryError).providerCode).toBe(String(status));
  });

  it('500: transient', async () => {
    const error = await transport()
      .send(browserSubscription(`${origin}/push/500`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBeUndefined();
  });

  it('429 with Retry-After: transient, and says how long to wait', async () => {
    const error = await transport()
      .send(browserSubscription(`${origin}/push/429?retryAfter=120`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBe(120_000);
    expect((error as TransientDeliveryError).message).toContain('HTTP 429');
  });

  it('no answer within the timeout: transient', async () => {
    const error = await transport(300)
      .send(browserSubscription(`${origin}/push/201?delay=2000`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toContain('no reply within 300 ms');
  });

  it('connection refused: transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await transport()
      .send(browserSubscription(`https://127.0.0.1:${port}/push/201`).target, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});
