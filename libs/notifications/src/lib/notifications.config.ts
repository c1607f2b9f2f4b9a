import { z } from 'zod';
import { ConfigError } from '@mq/config';

/*
 * Every message names the variable and never echoes a value: SMTP_URL carries a password,
 * the VAPID private key and the Twilio token are secrets.
 */

export const DEFAULT_SMTP_FROM = 'School messages <no-reply@school.test>';
export const DEFAULT_TWILIO_BASE_URL = 'https://api.twilio.com';
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** The api's route for Twilio's status callbacks, below PUBLIC_BASE_URL. */
export const TWILIO_STATUS_PATH = '/providers/twilio/status';

// An empty variable (`SMTP_URL=` in an env file) means "not set", not "set to nothing".
const emptyAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalVar = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUnset, schema.optional());

function describeUrlProblem(value: string, variable: string, protocols: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${variable} must be a URL (${protocols.join(' or ')}); the value is not a URL`;
  }
  if (!protocols.includes(url.protocol.replace(/:$/, ''))) {
    return `${variable} must use ${protocols.join(' or ')}; the protocol is ${url.protocol}`;
  }
  if (url.protocol !== 'mailto:' && !url.hostname) return `${variable}: the host is missing`;
  return undefined;
}

const urlVar = (variable: string, protocols: readonly string[], example: string) =>
  z
    .string({ error: `${variable} must be a string` })
    .trim()
    .superRefine((value, ctx) => {
      const problem = describeUrlProblem(value, variable, protocols);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (e.g. ${example})` });
    });

// A mailbox, optionally with a display name: `a@b.c` or `Name <a@b.c>`.
const MAILBOX = /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

function base64UrlBytes(value: string): number | undefined {
  return /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').length : undefined;
}

const vapidPublicKey = z
  .string()
  .trim()
  .refine(
    (value) => base64UrlBytes(value) === 65 && Buffer.from(value, 'base64url')[0] === 0x04,
    'VAPID_PUBLIC_KEY must be an uncompressed P-256 public key, base64url (npx web-push generate-vapid-keys)',
  );

const vapidPrivateKey = z
  .string()
  .trim()
  .refine((value) => base64UrlBytes(value) === 32, 'VAPID_PRIVATE_KEY must be a 32-byte P-256 private key, base64url (npx web-push generate-vapid-keys)');

export const E164 = /^\+[1-9]\d{1,14}$/;

/** Variables that are only meaningful together; a partial set is a mistake, not "off". */
const GROUPS = [
  { channel: 'web push', variables: ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY', 'VAPID_SUBJECT'] },
  { channel: 'SMS', variables: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] },
] as const;

/** The problems with half-configured channels: each missing variable of a group that is partly set. */
export function notificationsEnvGroupProblems(env: Readonly<Record<string, unknown>>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  for (const group of GROUPS) {
    const set = group.variables.filter((name) => emptyAsUnset(env[name]) !== undefined);
    if (set.length === 0 || set.length === group.variables.length) continue;
    for (const missing of group.variables.filter((name) => !set.includes(name))) {
      problems.push({
        variable: missing,
        message: `${missing} is required because ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set: ${group.channel} needs ${group.variables.join(', ')} together, or none of them`,
      });
    }
  }
  return problems;
}

const notificationsEnvShape = z.object({
  SMTP_URL: optionalVar(urlVar('SMTP_URL', ['smtp', 'smtps'], 'smtp://user:pass@127.0.0.1:1025')),
  SMTP_FROM: z.preprocess(
    emptyAsUnset,
    z.string().trim().regex(MAILBOX, 'SMTP_FROM must be an address, optionally with a name: Name <no-reply@example.org>').default(DEFAULT_SMTP_FROM),
  ),
  VAPID_PUBLIC_KEY: optionalVar(vapidPublicKey),
  VAPID_PRIVATE_KEY: optionalVar(vapidPrivateKey),
  VAPID_SUBJECT: optionalVar(urlVar('VAPID_SUBJECT', ['mailto', 'https'], 'mailto:it@school.example')),
  TWILIO_ACCOUNT_SID: optionalVar(
    z
      .string()
      .trim()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits (Twilio console)'),
  ),
  TWILIO_AUTH_TOKEN: optionalVar(
    z
      .string()
      .trim()
      .regex(/^\S{8,}$/, 'TWILIO_AUTH_TOKEN must be the account auth token (no spaces)'),
  ),
  TWILIO_FROM: optionalVar(z.string().trim().regex(E164, 'TWILIO_FROM must be an E.164 number, e.g. +15005550006')),
  TWILIO_BASE_URL: z.preprocess(
    emptyAsUnset,
    urlVar('TWILIO_BASE_URL', ['https', 'http'], DEFAULT_TWILIO_BASE_URL)
      .transform((value) => value.replace(/\/+$/, ''))
      .default(DEFAULT_TWILIO_BASE_URL),
  ),
  PUBLIC_BASE_URL: optionalVar(urlVar('PUBLIC_BASE_URL', ['https', 'http'], 'https://school.example.org/api').transform((value) => value.replace(/\/+$/, ''))),
  BOUNCE_DOMAIN: optionalVar(
    z
      .string()
      .trim()
      .regex(
        /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
        'BOUNCE_DOMAIN must be a domain name, e.g. bounces.school.example',
      ),
  ),
  BOUNCE_SMTP_PORT: optionalVar(
    z.coerce
      .number({ error: 'BOUNCE_SMTP_PORT must be a port number' })
      .int({ error: 'BOUNCE_SMTP_PORT must be a port number' })
      .min(0, { error: 'BOUNCE_SMTP_PORT must be 0 to 65535' })
      .max(65535, { error: 'BOUNCE_SMTP_PORT must be 0 to 65535' }),
  ),
  BOUNCE_SMTP_HOST: z.preprocess(emptyAsUnset, z.string().trim().min(1).default('0.0.0.0')),
  NOTIFY_TIMEOUT_MS: z.preprocess(
    emptyAsUnset,
    z.coerce
      .number({ error: 'NOTIFY_TIMEOUT_MS must be a number of milliseconds' })
      .int({ error: 'NOTIFY_TIMEOUT_MS must be a whole number of milliseconds' })
      .min(100, { error: 'NOTIFY_TIMEOUT_MS must be at least 100' })
      .max(120_000, { error: 'NOTIFY_TIMEOUT_MS must be at most 120000' })
      .default(DEFAULT_NOTIFY_TIMEOUT_MS),
  ),
});

/**
 * The notification variables, including the "set together or none" rules. Apps that merge it
 * by spreading `.shape` lose those rules; toNotificationsConfig() checks them again.
 */
export const notificationsEnvSchema = notificationsEnvShape.check(
  z.superRefine(
    (env, ctx) => {
      for (const problem of notificationsEnvGroupProblems(env)) {
        ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
      }
    },
    // Run even when a single variable is malformed, so one pass reports everything.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  ),
);

export type NotificationsEnv = z.output<typeof notificationsEnvShape>;

export interface EmailConfig {
  /** smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), credentials in the URL. */
  smtpUrl: string;
  from: string;
  /** Return-Path bounces+<notification id>@ this domain (VERP), and the Message-ID's domain. */
  bounceDomain?: string;
}

/** The inbound SMTP server that reads delivery status notifications (RFC 3464) sent to the VERP addresses. */
export interface BounceReceiverConfig {
  port: number;
  host: string;
  domain: string;
}

export interface PushConfig {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  vapidSubject: string;
}

export interface SmsConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** Without a trailing slash. */
  baseUrl: string;
  /** Where Twilio posts the message's status (PUBLIC_BASE_URL/providers/twilio/status). */
  statusCallbackUrl?: string;
}

/** A channel that is absent is not configured: its transport reports why and sends nothing. */
export interface NotificationsConfig {
  /** Upper bound for one provider call (connect + send + reply). */
  timeoutMs: number;
  email?: EmailConfig;
  push?: PushConfig;
  sms?: SmsConfig;
  bounceReceiver?: BounceReceiverConfig;
}

export function toNotificationsConfig(env: NotificationsEnv): NotificationsConfig {
  const groupProblems = notificationsEnvGroupProblems(env);
  if (groupProblems.length > 0) throw new ConfigError(groupProblems.map((p) => p.message));
  const config: NotificationsConfig = { timeoutMs: env.NOTIFY_TIMEOUT_MS };
  if (env.SMTP_URL) config.email = { smtpUrl: env.SMTP_URL, from: env.SMTP_FROM, ...(env.BOUNCE_DOMAIN ? { bounceDomain: env.BOUNCE_DOMAIN } : {}) };
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY && env.VAPID_SUBJECT) {
    config.push = { vapidPublicKey: env.VAPID_PUBLIC_KEY, vapidPrivateKey: env.VAPID_PRIVATE_KEY, vapidSubject: env.VAPID_SUBJECT };
  }
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM) {
    config.sms = { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM, baseUrl: env.TWILIO_BASE_URL };
    if (env.PUBLIC_BASE_URL) config.sms.statusCallbackUrl = `${env.PUBLIC_BASE_URL}${TWILIO_STATUS_PATH}`;
  }
  if (env.BOUNCE_SMTP_PORT !== undefined) {
    if (!env.BOUNCE_DOMAIN)
      throw new ConfigError(['BOUNCE_DOMAIN is required because BOUNCE_SMTP_PORT is set: the receiver accepts only bounces+<id>@BOUNCE_DOMAIN']);
    config.bounceReceiver = { port: env.BOUNCE_SMTP_PORT, host: env.BOUNCE_SMTP_HOST, domain: env.BOUNCE_DOMAIN };
  }
  return config;
}
