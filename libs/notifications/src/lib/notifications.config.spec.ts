import { generateVAPIDKeys } from 'web-push';
import { z } from 'zod';
import { ConfigError, parseEnv } from '@mq/config';
import { notificationsEnvSchema, toNotificationsConfig } from './notifications.config';
import { providerFeedbackEnvSchema, toProviderFeedbackConfig } from './provider-feedback.config';

const vapid = generateVAPIDKeys();
const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'twilio-secret-token-0001';
const SMTP_PASSWORD = 'smtp-secret-pass-0001';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseEnv(notificationsEnvSchema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('notifications config', () => {
  it('with nothing set: defaults, and every provider channel off', () => {
    const config = toNotificationsConfig(parseEnv(notificationsEnvSchema, {}));
    expect(config).toEqual({ timeoutMs: 10_000 });
  });

  it('treats empty variables as unset', () => {
    const env = { SMTP_URL: '', VAPID_PUBLIC_KEY: ' ', TWILIO_FROM: '', NOTIFY_TIMEOUT_MS: '' };
    expect(toNotificationsConfig(parseEnv(notificationsEnvSchema, env))).toEqual({ timeoutMs: 10_000 });
  });

  it('builds each configured channel', () => {
    const env = {
      SMTP_URL: `smtp://user:${SMTP_PASSWORD}@127.0.0.1:1025`,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:it@school.example',
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: 'http://127.0.0.1:4010/',
      NOTIFY_TIMEOUT_MS: '2500',
    };
    expect(toNotificationsConfig(parseEnv(notificationsEnvSchema, env))).toEqual({
      timeoutMs: 2500,
      email: { smtpUrl: env.SMTP_URL, from: 'School messages <no-reply@school.test>' },
      push: { vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey, vapidSubject: 'mailto:it@school.example' },
      sms: { accountSid: SID, authToken: TOKEN, from: '+15005550006', baseUrl: 'http://127.0.0.1:4010' },
    });
  });

  it('accepts smtps:// and an https VAPID subject; defaults the Twilio base URL', () => {
    const config = toNotificationsConfig(
      parseEnv(notificationsEnvSchema, {
        SMTP_URL: 'smtps://mail.school.example',
        SMTP_FROM: 'no-reply@school.example',
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'https://school.example/contact',
        TWILIO_ACCOUNT_SID: SID,
        TWILIO_AUTH_TOKEN: TOKEN,
        TWILIO_FROM: '+447700900123',
      }),
    );
    expect(config.email?.from).toBe('no-reply@school.example');
    expect(config.sms?.baseUrl).toBe('https://api.twilio.com');
  });

  it('names each malformed variable and never echoes a value', () => {
    const problems = problemsOf({
      SMTP_URL: `http://user:${SMTP_PASSWORD}@mail.example`,
      SMTP_FROM: 'not an address',
      VAPID_PUBLIC_KEY: 'short',
      VAPID_PRIVATE_KEY: 'also-short',
      VAPID_SUBJECT: 'ftp://x.example',
      TWILIO_ACCOUNT_SID: 'XY123',
      TWILIO_AUTH_TOKEN: 'has space in it',
      TWILIO_FROM: '5550006',
      TWILIO_BASE_URL: 'not a url',
      NOTIFY_TIMEOUT_MS: 'soon',
    });
    expect(problems.map((p) => p.split(/[ :]/)[0]).sort()).toEqual([
      'NOTIFY_TIMEOUT_MS',
      'SMTP_FROM',
      'SMTP_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_BASE_URL',
      'TWILIO_FROM',
      'VAPID_PRIVATE_KEY',
      'VAPID_PUBLIC_KEY',
      'VAPID_SUBJECT',
    ]);
    const text = problems.join('\n');
    for (const secret of [SMTP_PASSWORD, 'also-short', 'has space in it', 'XY123']) expect(text).not.toContain(secret);
  });

  it('requires the VAPID and Twilio variables together, naming the missing ones', () => {
    const problems = problemsOf({ VAPID_PUBLIC_KEY: vapid.publicKey, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+15005550006' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['TWILIO_ACCOUNT_SID', 'VAPID_PRIVATE_KEY', 'VAPID_SUBJECT']);
    expect(problems.join('\n')).not.toContain(TOKEN);
  });

  it('reports a half-set group together with a malformed variable, in one pass', () => {
    const problems = problemsOf({ VAPID_SUBJECT: 'mailto:it@school.example', NOTIFY_TIMEOUT_MS: '5' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['NOTIFY_TIMEOUT_MS', 'VAPID_PRIVATE_KEY', 'VAPID_PUBLIC_KEY']);
  });

  it('still rejects a half-set group when an app merged only the schema shape', () => {
    const appSchema = z.object({ ...notificationsEnvSchema.shape, OTHER: z.string().default('x') });
    const env = parseEnv(appSchema, { TWILIO_ACCOUNT_SID: SID });
    expect(() => toNotificationsConfig(env)).toThrow(ConfigError);
    expect(() => toNotificationsConfig(env)).toThrow(/TWILIO_AUTH_TOKEN is required/);
  });

  it('provider feedback: the VERP domain, the Twilio status callback and the bounce receiver', () => {
    const env = {
      SMTP_URL: 'smtp://127.0.0.1:1025',
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: '+15005550006',
      PUBLIC_BASE_URL: 'https://school.example.org/api/',
      BOUNCE_DOMAIN: 'bounces.school.example.org',
      BOUNCE_SMTP_PORT: '2525',
    };
    const config = toNotificationsConfig(parseEnv(notificationsEnvSchema, env));
    expect(config.email?.bounceDomain).toBe('bounces.school.example.org');
    expect(config.sms?.statusCallbackUrl).toBe('https://school.example.org/api/providers/twilio/status');
    expect(config.bounceReceiver).toEqual({ port: 2525, host: '0.0.0.0', domain: 'bounces.school.example.org' });
    expect(() => toNotificationsConfig(parseEnv(notificationsEnvSchema, { BOUNCE_SMTP_PORT: '2525' }))).toThrow(/BOUNCE_DOMAIN is required/);
    const problems = problemsOf({ BOUNCE_DOMAIN: 'not a domain', PUBLIC_BASE_URL: 'ftp://x' });
    expect(problems).toContainEqual(expect.stringMatching(/BOUNCE_DOMAIN must be a domain/));
    expect(problems).toContainEqual(expect.stringMatching(/PUBLIC_BASE_URL must use https or http/));

    const api = toProviderFeedbackConfig(
      parseEnv(providerFeedbackEnvSchema, {
        MAILGUN_WEBHOOK_SIGNING_KEY: 'key-0123456789abcdef',
        TWILIO_AUTH_TOKEN: TOKEN,
        PUBLIC_BASE_URL: 'https://school.example.org/api/',
      }),
    );
    expect(api).toEqual({
      mailgun: { signingKey: 'key-0123456789abcdef', maxAgeSeconds: 300 },
      twilio: { authToken: TOKEN, publicBaseUrl: 'https://school.example.org/api' },
    });
    expect(toProviderFeedbackConfig(parseEnv(providerFeedbackEnvSchema, { TWILIO_AUTH_TOKEN: TOKEN }))).toEqual({});
  });
});
