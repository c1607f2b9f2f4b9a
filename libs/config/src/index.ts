export * from './lib/parse-env';
