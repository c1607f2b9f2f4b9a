import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from './tracing.config';
import { markTracingStarted } from './trace-context';

export interface TracingHandle {
  /** Sends what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  shutdown(): Promise<void>;
}

/** Incoming requests not worth a trace: probes, scrapes, socket.io's long-polling (its events get spans of their own). */
const UNTRACED_PATHS = ['/health', '/metrics', '/socket.io/'];

/*
 * The SDK is required here, inside the call, and only when tracing is on: with it off the
 * process never loads it (zero cost). `require`, not `import()`: it must be synchronous, so
 * that the instrumentations are in place before main.ts goes on to require Nest, pg and ioredis.
 */

/**
 * Starts the OpenTelemetry SDK when `config.tracesUrl` is set (or an exporter is given): spans
 * of HTTP, Nest, pg and ioredis (the last two only inside a trace), sampled as configured,
 * batched to OTLP/HTTP JSON. Call before anything requires those modules. Undefined when off.
 */
export function startTracing(config: TracingConfig, exporter?: SpanExporter): TracingHandle | undefined {
  if (!config.tracesUrl && !exporter) return undefined;
  const base = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');

  const ratio = new base.TraceIdRatioBasedSampler(config.samplerRatio);
  const roots = { always_on: new base.AlwaysOnSampler(), always_off: new base.AlwaysOffSampler(), traceidratio: ratio };
  const sampler = config.sampler.startsWith('parentbased_')
    ? new base.ParentBasedSampler({ root: roots[config.sampler.slice('parentbased_'.length) as keyof typeof roots] })
    : roots[config.sampler as keyof typeof roots];
  let spanExporter = exporter;
  if (!spanExporter) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    spanExporter = new OTLPTraceExporter({ url: config.tracesUrl });
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler,
    // A given exporter is a test's in-memory one: it sees each span as it ends.
    spanProcessors: [exporter ? new base.SimpleSpanProcessor(spanExporter) : new base.BatchSpanProcessor(spanExporter)],
  });
  // Global tracer provider, AsyncLocalStorage context manager, W3C trace-context propagator.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.some((path) => request.url?.startsWith(path)) }),
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      // Bull polls Redis all the time: only commands inside a trace are worth a span.
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  markTracingStarted();
  return { flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}
