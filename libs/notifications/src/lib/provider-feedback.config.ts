import { z } from 'zod';

/*
 * The api's settings for providers' reports. Each route answers 404 while its secret is unset,
 * so a deployment without the provider exposes nothing.
 */

const emptyAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const providerFeedbackEnvSchema = z.object({
  MAILGUN_WEBHOOK_SIGNING_KEY: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .trim()
      .regex(/^\S{16,}$/, 'MAILGUN_WEBHOOK_SIGNING_KEY must be the HTTP webhook signing key (16+ characters, no spaces)')
      .optional(),
  ),
  TWILIO_AUTH_TOKEN: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .trim()
      .regex(/^\S{8,}$/, 'TWILIO_AUTH_TOKEN must be the account auth token (no spaces)')
      .optional(),
  ),
  PUBLIC_BASE_URL: z.preprocess(
    emptyAsUnset,
    z
      .url({ protocol: /^https?$/, error: 'PUBLIC_BASE_URL must be the http(s) URL the api is reached at from outside, e.g. https://school.example.org/api' })
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
  ),
  MAILGUN_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
});

export type ProviderFeedbackEnv = z.output<typeof providerFeedbackEnvSchema>;

export interface ProviderFeedbackConfig {
  mailgun?: { signingKey: string; maxAgeSeconds: number };
  /** Twilio signs the URL it posted to, so the public base URL is needed with the token. */
  twilio?: { authToken: string; publicBaseUrl: string };
}

export function toProviderFeedbackConfig(env: ProviderFeedbackEnv): ProviderFeedbackConfig {
  const config: ProviderFeedbackConfig = {};
  if (env.MAILGUN_WEBHOOK_SIGNING_KEY) config.mailgun = { signingKey: env.MAILGUN_WEBHOOK_SIGNING_KEY, maxAgeSeconds: env.MAILGUN_MAX_AGE_SECONDS };
  if (env.TWILIO_AUTH_TOKEN && env.PUBLIC_BASE_URL) config.twilio = { authToken: env.TWILIO_AUTH_TOKEN, publicBaseUrl: env.PUBLIC_BASE_URL };
  return config;
}
