import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import { PermanentDeliveryError, TransientDeliveryError } from './delivery.errors';
import { EmailTransport } from './email.transport';
import type { OutgoingNotification } from './notification.transport';

/*
 * A real SMTP server (smtp-server) on a free port per scenario: the transport talks SMTP over
 * TCP exactly as it would to a provider.
 */

interface Received {
  mailFrom?: string;
  rcptTo: string[];
  raw: string;
}

async function startSmtp(options: SMTPServerOptions): Promise<{ server: SMTPServer; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    // The test server has no certificate clients would trust: no STARTTLS offer.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, received };
}

const closeSmtp = (server: SMTPServer) => new Promise<void>((resolve) => server.close(resolve));

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

const notification: OutgoingNotification = {
  title: 'New message from Alice',
  body: 'Alice sent you a message in <Year 5 trip>.\nOpen the app to read it.',
  url: 'https://school.example/conversations/42?x=1&y=2',
};

describe('EmailTransport against a real SMTP server', () => {
  const transports: EmailTransport[] = [];
  const servers: SMTPServer[] = [];
  const transportFor = (smtpUrl: string, timeoutMs = 5_000) => {
    const transport = new EmailTransport({ timeoutMs, email: { smtpUrl, from: 'School messages <no-reply@school.test>' } });
    transports.push(transport);
    return transport;
  };

  afterAll(async () => {
    for (const transport of transports) transport.close();
    await Promise.all(servers.map(closeSmtp));
  });

  it('with BOUNCE_DOMAIN and a reference: the Message-ID names the notification and the envelope sender is its VERP address', async () => {
    const smtp = await startSmtp({ authOptional: true });
    servers.push(smtp.server);
    const transport = new EmailTransport({
      timeoutMs: 5_000,
      email: { smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'School messages <no-reply@school.test>', bounceDomain: 'bounces.school.test' },
    });
    transports.push(transport);
    const reference = '0192f0c4-1111-7222-8333-944455556666';
    const result = await transport.send({ to: 'bob@school.test' }, { ...notification, reference });
    expect(result).toEqual({ providerMessageId: `${reference}@bounces.school.test` });
    const [mail] = smtp.received;
    expect(mail?.mailFrom).toBe(`bounces+${reference}@bounces.school.test`);
    expect(mail?.rcptTo).toEqual(['bob@school.test']);
    expect(mail?.raw).toMatch(new RegExp(`^Message-ID: <${reference}@bounces\\.school\\.test>\r$`, 'm'));
    // Without a bounce domain nothing changes: nodemailer's own Message-ID, SMTP_FROM as the envelope sender.
    const plain = transportFor(`smtp://127.0.0.1:${smtp.port}`);
    await plain.send({ to: 'bob@school.test' }, { ...notification, reference });
    expect(smtp.received[1]?.mailFrom).toBe('no-reply@school.test');
    expect(smtp.received[1]?.raw).not.toContain(reference);
  });

  it('delivers: envelope, From/To/Subject, text and escaped HTML, with the credentials from SMTP_URL', async () => {
    const logins: string[] = [];
    const smtp = await startSmtp({
      onAuth(auth, _session, callback) {
        logins.push(`${auth.username}:${auth.password}`);
        if (auth.username === 'mailer' && auth.password === 'p@ss word') callback(null, { user: auth.username });
        else callback(smtpError(535, '5.7.8 authentication failed'));
      },
    });
    servers.push(smtp.server);
    const transport = transportFor(`smtp://mailer:${encodeURIComponent('p@ss word')}@127.0.0.1:${smtp.port}`);
    expect(transport.unavailableReason()).toBeUndefined();

    const result = await transport.send({ to: 'bob@school.test', displayName: 'Bob Parent' }, notification);

    expect(logins).toEqual(['mailer:p@ss word']);
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.mailFrom).toBe('no-reply@school.test');
    expect(mail.rcptTo).toEqual(['bob@school.test']);
    const raw = mail.raw.replace(/=\r\n/g, ''); // undo quoted-printable soft breaks
    expect(raw).toMatch(/^From: School messages <no-reply@school\.test>\r$/m);
    expect(raw).toMatch(/^To: Bob Parent <bob@school\.test>\r$/m);
    expect(raw).toMatch(/^Subject: New message from Alice\r$/m);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated\r$/m);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toContain('Alice sent you a message in <Year 5 trip>.\r\nOpen the app to read it.');
    expect(raw).toContain('https://school.example/conversations/42?x=1&y=2');
    expect(raw).toContain('Alice sent you a message in &lt;Year 5 trip&gt;.<br>Open the app to read it.');
    expect(raw).toContain('conversations/42?x=3D1&amp;y=3D2'); // escaped in the href (and QP-encoded)
    // Bare, as providers' webhooks quote it (Mailgun's message-id).
    expect(result.providerMessageId).toMatch(/^[^<>\s]+@[^<>\s]+$/);
    expect(raw).toContain(`Message-ID: <${result.providerMessageId}>`);
  });

  it('a 550 for the recipient is permanent and keeps the SMTP reply, without the address', async () => {
    const smtp = await startSmtp({
      authOptional: true,
      onRcptTo(_address, _session, callback) {
        callback(smtpError(550, '5.1.1 mailbox unavailable'));
      },
    });
    servers.push(smtp.server);
    const error = await transportFor(`smtp://127.0.0.1:${smtp.port}`)
      .send({ to: 'gone@school.test' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    const permanent = error as PermanentDeliveryError;
    expect(permanent.message).toContain('550 5.1.1 mailbox unavailable');
    expect(permanent.message).not.toContain('gone@school.test');
    expect(permanent.providerCode).toBe('550');
    expect(permanent.channel).toBe('email');
    expect(smtp.received).toEqual([]);
  });

  it('a reply that quotes the address is redacted', async () => {
    const smtp = await startSmtp({
      authOptional: true,
      onRcptTo(address, _session, callback) {
        callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected`));
      },
    });
    servers.push(smtp.server);
    const error = await transportFor(`smtp://127.0.0.1:${smtp.port}`)
      .send({ to: 'gone@school.test' }, notification)
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('the SMTP server rejected the message: 550 5.1.1 <[address]>: Recipient address rejected');
  });

  it('a 451 is transient', async () => {
    const smtp = await startSmtp({
      authOptional: true,
      onRcptTo(_address, _session, callback) {
        callback(smtpError(451, '4.7.1 greylisted, try again later'));
      },
    });
    servers.push(smtp.server);
    const error = await transportFor(`smtp://127.0.0.1:${smtp.port}`)
      .send({ to: 'bob@school.test' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).message).toContain('451 4.7.1 greylisted, try again later');
    expect((error as TransientDeliveryError).providerCode).toBe('451');
  });

  it('wrong credentials are the channel’s failure (transient), not the recipient’s', async () => {
    const smtp = await startSmtp({
      onAuth(_auth, _session, callback) {
        callback(smtpError(535, '5.7.8 authentication failed'));
      },
    });
    servers.push(smtp.server);
    const error = await transportFor(`smtp://mailer:wrong@127.0.0.1:${smtp.port}`)
      .send({ to: 'bob@school.test' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toMatch(/refused the credentials in SMTP_URL: 535 5\.7\.8 authentication failed/);
    expect((error as Error).message).not.toContain('wrong');
  });

  it('a closed port is transient', async () => {
    const port = await freePort();
    const error = await transportFor(`smtp://127.0.0.1:${port}`)
      .send({ to: 'bob@school.test' }, notification)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('a server that never greets times out within NOTIFY_TIMEOUT_MS, as transient', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const error = await transportFor(`smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, 500)
        .send({ to: 'bob@school.test' }, notification)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect((error as Error).message).toMatch(/GREETING_TIMEOUT|timed out/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeNet(silent);
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeNet(server);
  return port;
}

function closeNet(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
