export * from './lib/peers';
export * from './lib/sql';
export * from './lib/test-stack';
