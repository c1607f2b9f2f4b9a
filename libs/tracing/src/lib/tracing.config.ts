import { z } from 'zod';
import { envFlag } from '@mq/config';

const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema);

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

export const TRACE_SAMPLERS = Object.freeze([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const);
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/**
 * OpenTelemetry's own variable names (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
 * the subset this system reads. Tracing is on when an OTLP endpoint is set.
 */
export const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: unsetIfEmpty(envFlag.default(false)),
  /** The collector's base URL (`/v1/traces` is appended), e.g. http://localhost:4318 for Jaeger. */
  OTEL_EXPORTER_OTLP_ENDPOINT: unsetIfEmpty(httpUrl.optional()),
  /** The full traces URL, when it is not `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unsetIfEmpty(httpUrl.optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: unsetIfEmpty(
    z.enum(['http/json'], { message: 'only http/json is supported (the OTLP/HTTP JSON exporter); unset it or set http/json' }).optional(),
  ),
  OTEL_SERVICE_NAME: unsetIfEmpty(z.string().max(100).optional()),
  OTEL_TRACES_SAMPLER: unsetIfEmpty(z.enum(TRACE_SAMPLERS).default('parentbased_always_on')),
  OTEL_TRACES_SAMPLER_ARG: unsetIfEmpty(z.coerce.number().min(0).max(1).default(1)),
  /** The console links each message's trace here: `{traceId}` is replaced, e.g. http://localhost:16686/trace/{traceId} (Jaeger). */
  TRACE_URL_TEMPLATE: unsetIfEmpty(
    httpUrl
      .optional()
      .refine((value) => value === undefined || value.includes('{traceId}'), 'must contain {traceId}, e.g. http://localhost:16686/trace/{traceId}'),
  ),
});

export type TracingEnv = z.infer<typeof tracingEnvSchema>;

export interface TracingConfig {
  /** Where spans go (OTLP/HTTP JSON); undefined: tracing is off, and no SDK is loaded. */
  tracesUrl?: string;
  serviceName: string;
  sampler: TraceSampler;
  /** The ratio of the *traceidratio samplers, 0..1. */
  samplerRatio: number;
  /** A trace's page in the trace UI, with `{traceId}` to fill in. */
  traceUrlTemplate?: string;
}

export function toTracingConfig(env: TracingEnv, defaultServiceName: string): TracingConfig {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const tracesUrl = env.OTEL_SDK_DISABLED ? undefined : (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base}/v1/traces` : undefined));
  return {
    tracesUrl,
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG,
    traceUrlTemplate: env.TRACE_URL_TEMPLATE,
  };
}

/** The trace's page in the trace UI, when one is configured. */
export function traceUrlFor(template: string | undefined, traceId: string | null | undefined): string | null {
  return template && traceId ? template.split('{traceId}').join(traceId) : null;
}

/** For main.ts's first import: the tracing settings alone, or undefined when they are invalid (the app's full config check reports that). */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingConfig | undefined {
  const parsed = tracingEnvSchema.safeParse(env);
  return parsed.success ? toTracingConfig(parsed.data, defaultServiceName) : undefined;
}
