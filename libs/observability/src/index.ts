export * from './lib/health.service';
export * from './lib/logging.config';
export * from './lib/metrics.service';
export * from './lib/observability.module';
export * from './lib/metrics-access';
