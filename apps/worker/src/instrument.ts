import { startTracing, tracingConfigFromEnv } from '@mq/tracing';

/*
 * main.ts's first import: the OpenTelemetry SDK (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must
 * patch http, Nest, pg and ioredis before anything requires them. Invalid settings start
 * nothing here; loadWorkerConfig then reports them and the worker exits.
 */
const config = tracingConfigFromEnv(process.env, 'worker');
export const tracing = config && startTracing(config);
// Spans still buffered when the process winds down are sent before it exits.
if (tracing) process.once('beforeExit', () => void tracing.shutdown());
