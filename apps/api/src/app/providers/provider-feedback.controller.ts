import { BadRequestException, Body, Controller, ForbiddenException, Headers, HttpCode, HttpStatus, Inject, NotFoundException, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import type { Readable } from 'node:stream';
import { NotificationFallback } from '@mq/messaging';
import { mailgunReport, twilioReport, verifyMailgunSignature, verifyTwilioSignature } from '@mq/notifications';
import { API_CONFIG, ApiConfig } from '../api.config';
import { Public } from '../auth/auth.decorators';
import { ApiResult } from '../openapi/api-result.decorator';
import { MailgunEventDto } from './provider-feedback.dto';

/** Twilio's status callbacks are a handful of short fields. */
const MAX_FORM_BYTES = 16 * 1024;

type FormRequest = Readable & { headers: Record<string, string | string[] | undefined>; originalUrl: string };

/**
 * Providers reporting what became of a notification after it was sent: no session, each
 * request authenticated by the provider's signature (403 and nothing recorded without a valid
 * one; 404 while the provider's secret is not configured). A report about a notification we do
 * not know is acknowledged (204) so the provider stops retrying it.
 */
@Public()
@Controller('providers')
export class ProviderFeedbackController {
  constructor(
    private readonly feedback: NotificationFallback,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post('mailgun/events')
  @HttpCode(HttpStatus.NO_CONTENT)
  async mailgun(@Body() body: MailgunEventDto): Promise<void> {
    const mailgun = this.config.providerFeedback.mailgun;
    if (!mailgun) throw new NotFoundException('Mailgun webhooks are not configured (MAILGUN_WEBHOOK_SIGNING_KEY)');
    if (!verifyMailgunSignature(mailgun.signingKey, body.signature, mailgun.maxAgeSeconds)) {
      throw new ForbiddenException('The Mailgun signature is invalid or too old');
    }
    const event = body['event-data'];
    const headers = (event['message'] as { headers?: Record<string, unknown> } | undefined)?.headers;
    const messageId = headers?.['message-id'];
    if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 998) {
      throw new BadRequestException('event-data.message.headers.message-id is missing');
    }
    const report = mailgunReport(event);
    if (report) await this.feedback.report({ channel: 'email', providerId: messageId.replace(/^<|>$/g, '') }, report);
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    description: "Twilio's status callback: MessageSid, MessageStatus (queued, sent, delivered, undelivered, failed), ErrorCode and Twilio's other fields",
    schema: { type: 'object', required: ['MessageSid', 'MessageStatus'], additionalProperties: { type: 'string' } },
  })
  @Post('twilio/status')
  @HttpCode(HttpStatus.NO_CONTENT)
  async twilio(@Req() req: FormRequest, @Headers('x-twilio-signature') signature: string | undefined): Promise<void> {
    const twilio = this.config.providerFeedback.twilio;
    if (!twilio) throw new NotFoundException('Twilio status callbacks are not configured (TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL)');
    const params = await readForm(req);
    // Twilio signs the URL it was given: the public base URL and this path with its query.
    if (!verifyTwilioSignature(twilio.authToken, `${twilio.publicBaseUrl}${req.originalUrl}`, params, signature)) {
      throw new ForbiddenException('The X-Twilio-Signature is missing or invalid');
    }
    const sid = params['MessageSid'];
    if (!sid || !/^(SM|MM)[0-9a-f]{32}$/i.test(sid)) throw new BadRequestException('MessageSid is missing or not a Twilio message sid');
    const report = twilioReport(params);
    if (report) await this.feedback.report({ channel: 'sms', providerId: sid }, report);
  }
}

/** The urlencoded body, read here rather than by a global parser: no other route takes forms (a form post skips CORS preflight). */
async function readForm(req: FormRequest): Promise<Record<string, string>> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new BadRequestException('The body must be application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new BadRequestException(`The body is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk);
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (key in params) throw new BadRequestException(`${key} is given twice`);
    params[key] = value;
  }
  return params;
}
