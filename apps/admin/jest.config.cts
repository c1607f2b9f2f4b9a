// Jest for the console: Next's SWC transform (same compiler as the app), jsdom, and Nx's
// resolver for the tsconfig.base.json path aliases (`@mq/queue-contracts`).
const nextJest = require('next/jest.js');

const createJestConfig = nextJest({ dir: __dirname });

const config = {
  displayName: 'admin',
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  resolver: '@nx/jest/plugins/resolver',
  testMatch: ['<rootDir>/specs/**/*.spec.{ts,tsx}', '<rootDir>/src/**/*.spec.{ts,tsx}'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'json'],
  coverageDirectory: '../../coverage/apps/admin',
};

const jestConfig = createJestConfig(config);

module.exports = async () => {
  const resolved = await jestConfig();
  // Path aliases are resolved by the Nx resolver above, not by SWC.
  for (const value of Object.values(resolved.transform)) {
    if (Array.isArray(value) && value[1]?.resolvedBaseUrl) {
      value[1] = { ...value[1], resolvedBaseUrl: undefined };
    }
  }
  return resolved;
};
