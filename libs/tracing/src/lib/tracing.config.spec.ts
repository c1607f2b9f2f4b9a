import { toTracingConfig, traceUrlFor, tracingConfigFromEnv, tracingEnvSchema } from './tracing.config';

describe('tracing config', () => {
  it('is off unless an OTLP endpoint is set', () => {
    expect(toTracingConfig(tracingEnvSchema.parse({}), 'api')).toEqual({ serviceName: 'api', sampler: 'parentbased_always_on', samplerRatio: 1 });
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'api-eu' }, 'api')).toMatchObject({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'api-eu',
    });
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/otlp/traces' }, 'api')?.tracesUrl).toBe(
      'https://c.example/otlp/traces',
    );
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, 'api')?.tracesUrl).toBeUndefined();
  });

  it('refuses what it cannot honour, naming the variable', () => {
    const issues = (env: Record<string, string>) => tracingEnvSchema.safeParse(env).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT']);
    expect(issues({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual(['OTEL_EXPORTER_OTLP_PROTOCOL']);
    expect(issues({ OTEL_TRACES_SAMPLER: 'sometimes' })).toEqual(['OTEL_TRACES_SAMPLER']);
    expect(issues({ OTEL_TRACES_SAMPLER_ARG: '2' })).toEqual(['OTEL_TRACES_SAMPLER_ARG']);
    expect(issues({ TRACE_URL_TEMPLATE: 'http://jaeger:16686/trace/' })).toEqual(['TRACE_URL_TEMPLATE']);
    expect(tracingConfigFromEnv({ TRACE_URL_TEMPLATE: 'nope' }, 'api')).toBeUndefined();
  });

  it('fills the trace id into the template', () => {
    expect(traceUrlFor('http://jaeger:16686/trace/{traceId}', 'ab'.repeat(16))).toBe(`http://jaeger:16686/trace/${'ab'.repeat(16)}`);
    expect(traceUrlFor(undefined, 'ab'.repeat(16))).toBeNull();
  });
});
