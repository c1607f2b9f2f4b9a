import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress } from 'smtp-server';
import { NotificationFallback } from '@mq/messaging';
import { dsnReport } from '@mq/notifications';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

/** A DSN is a short report plus, at most, the returned message's headers or body: ours are small. */
const MAX_DSN_BYTES = 256 * 1024;
const VERP = /^bounces\+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@(.+)$/i;

/**
 * The inbound SMTP server for bounces: email goes out with the envelope sender
 * bounces+<notification id>@BOUNCE_DOMAIN (email.transport.ts), so the delivery status
 * notification (RFC 3464, multipart/report; report-type=delivery-status) a mail server sends
 * back arrives here already naming its notification. A permanent failure marks it bounced and
 * falls back to the user's next channel. Any other recipient is refused at RCPT (550), so this
 * is not a relay. Started only when BOUNCE_SMTP_PORT is set; with several workers on one host
 * the first to bind the port receives (the others log it and carry on).
 */
@Injectable()
export class BounceReceiver implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BounceReceiver.name);
  private server?: SMTPServer;

  constructor(
    private readonly feedback: NotificationFallback,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config.notifications.bounceReceiver;
    if (!settings) return;
    const domain = settings.domain.toLowerCase();
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: MAX_DSN_BYTES,
      logger: false,
      banner: 'bounce receiver',
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const match = VERP.exec(address.address);
        if (!match || match[2]?.toLowerCase() !== domain) return callback(Object.assign(new Error('No such mailbox here'), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const ids = session.envelope.rcptTo.map((rcpt) => VERP.exec(rcpt.address)?.[1]).filter((id): id is string => Boolean(id));
        this.receive(stream, ids).then(
          () => callback(),
          (error: unknown) => {
            this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'a bounce could not be recorded; the sender will retry');
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          },
        );
      },
    });
    server.on('error', (error) => this.logger.warn({ error: error.message }, 'bounce receiver error'));
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(settings.port, settings.host, () => resolve());
      });
    } catch (error) {
      this.logger.warn({ port: settings.port, error: (error as Error).message }, 'the bounce receiver could not listen (another worker on this host may)');
      return;
    }
    this.server = server;
    this.logger.log({ port: this.port() }, 'bounce receiver listening');
  }

  /** The bound port (BOUNCE_SMTP_PORT=0 picks a free one). */
  port(): number | undefined {
    const address = this.server?.server.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async receive(stream: Readable, notificationIds: string[]): Promise<void> {
    const mail = await simpleParser(stream, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
    if ((stream as Readable & { sizeExceeded?: boolean }).sizeExceeded) return;
    const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
    const isDsn = type?.value?.toLowerCase() === 'multipart/report' && type.params?.['report-type']?.toLowerCase() === 'delivery-status';
    // Not a DSN (an auto-reply, spam): accepted and dropped, so nobody retries it. mailparser
    // folds the message/delivery-status part into the text, where its fields are read.
    const report = isDsn ? dsnReport(mail.text ?? '') : undefined;
    if (!report) return;
    for (const id of notificationIds) {
      const outcome = await this.feedback.report({ id }, report);
      this.logger.log({ notificationId: id, recorded: Boolean(outcome), fallbackJobId: outcome?.fallbackJobId }, 'DSN bounce received');
    }
  }
}
