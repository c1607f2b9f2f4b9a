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
  sent: { account: string; authorization: string | undefined; to: string; from: string; body: string }[];
  close(): Promise<void>;
}

export async function startTwilioPeer(): Promise<TwilioPeer> {
  const { createServer } = await import('node:http');
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
      const form = new URLSearchParams(raw);
      peer.sent.push({
        account: match[1] ?? '',
        authorization: req.headers.authorization,
        to: form.get('To') ?? '',
        from: form.get('From') ?? '',
        body: form.get('Body') ?? '',
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${'0'.repeat(32)}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  peer.baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer as TwilioPeer;
}
