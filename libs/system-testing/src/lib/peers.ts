import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in the test; `reject` decides per recipient (e.g. a 550) at RCPT time. */
export interface SmtpPeer {
  url: string;
  mails: { from: string; to: string[]; raw: string }[];
  reject?: (recipient: string) => { code: number; message: string } | undefined;
  close(): Promise<void>;
}

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const peer: Partial<SmtpPeer> & { mails: SmtpPeer['mails'] } = { mails: [] };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = peer.reject?.(address.address);
      if (refusal) {
        const error = new Error(refusal.message) as Error & { responseCode: number };
        error.responseCode = refusal.code;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        peer.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  peer.url = `smtp://127.0.0.1:${port}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer as SmtpPeer;
}

/**
 * A push service over real HTTPS (web-push only speaks HTTPS): a self-signed certificate the
 * worker trusts through NODE_EXTRA_CA_CERTS. Records each delivery; `statusFor` picks the answer.
 */
export interface PushPeer {
  origin: string;
  caFile: string;
  requests: { path: string; headers: Record<string, string | string[] | undefined>; bytes: number }[];
  statusFor: (path: string) => number;
  close(): Promise<void>;
}

export async function startPushPeer(): Promise<PushPeer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'push-peer-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const peer: PushPeer = {
    origin: '',
    caFile: cert,
    requests: [],
    statusFor: () => 201,
    close: async () => undefined,
  };
  const server: HttpsServer = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      peer.requests.push({ path: req.url ?? '', headers: req.headers, bytes });
      res.writeHead(peer.statusFor(req.url ?? '')).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  peer.origin = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  peer.close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return peer;
}

/** A local HTTP server speaking Twilio's Messages API (POST …/Accounts/{sid}/Messages.json, form body, basic auth). */
export interface TwilioPeer {
  baseUrl: string;
  sent: { account: string; authorization: string | undefined; to: string; from: string; body: string; sid: string; statusCallback?: string }[];
  /** Set to answer every send with this HTTP status (e.g. 503: an outage); the attempt is not recorded. */
  failWith?: number;
  /**
   * Reports a message's status as Twilio does: a form POST to the StatusCallback it was sent
   * with, signed with the auth token (X-Twilio-Signature). `deliverTo` replaces the callback's
   * origin and base path (a proxy in front of the api); the signature stays over the callback URL.
   */
  report(
    sid: string,
    status: string,
    options: { authToken: string; deliverTo: (callback: string) => string; errorCode?: string; signature?: string },
  ): Promise<number>;
  close(): Promise<void>;
}

export async function startTwilioPeer(): Promise<TwilioPeer> {
  const { createServer } = await import('node:http');
  const { createHmac } = await import('node:crypto');
  const peer: Partial<TwilioPeer> & { sent: TwilioPeer['sent'] } = { sent: [] };
  const server = createServer((req, res) => {
    const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(req.url ?? '');
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (!match || req.method !== 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20404, message: 'Not found', status: 404 }));
        return;
      }
      if (peer.failWith) {
        res
          .writeHead(peer.failWith, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 20500, message: 'Service unavailable', status: peer.failWith }));
        return;
      }
      const form = new URLSearchParams(raw);
      const sid = `SM${(peer.sent.length + 1).toString(16).padStart(32, '0')}`;
      peer.sent.push({
        account: match[1] ?? '',
        authorization: req.headers.authorization,
        to: form.get('To') ?? '',
        from: form.get('From') ?? '',
        body: form.get('Body') ?? '',
        sid,
        statusCallback: form.get('StatusCallback') ?? undefined,
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  peer.baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  peer.report = async (sid, status, options) => {
    const message = peer.sent.find((m) => m.sid === sid);
    if (!message?.statusCallback) throw new Error(`message ${sid} was sent without a StatusCallback`);
    const params: Record<string, string> = {
      AccountSid: message.account,
      ApiVersion: '2010-04-01',
      From: message.from,
      To: message.to,
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      ...(options.errorCode ? { ErrorCode: options.errorCode } : {}),
    };
    const signed = Object.keys(params)
      .sort()
      .reduce((text, key) => text + key + params[key], message.statusCallback);
    const signature = options.signature ?? createHmac('sha1', options.authToken).update(signed).digest('base64');
    const response = await fetch(options.deliverTo(message.statusCallback), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
      body: new URLSearchParams(params).toString(),
    });
    return response.status;
  };
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer as TwilioPeer;
}
