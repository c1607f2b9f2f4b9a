// Imports nothing of the OpenTelemetry SDK: tracing.sdk.ts requires it only when tracing starts.
export * from './lib/trace-context';
export * from './lib/tracing.config';
export * from './lib/tracing.sdk';
