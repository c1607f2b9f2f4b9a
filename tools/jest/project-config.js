// One place for how every Node project runs Jest: SWC (fast, with decorator metadata for
// Nest and TypeORM), Nx's resolver for the tsconfig path aliases, unit and integration
// suites told apart by file name.
const path = require('node:path');

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true, tsx: false },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

function baseConfig(projectDir, displayName) {
  const root = path.relative(projectDir, path.resolve(__dirname, '../..'));
  return {
    displayName,
    rootDir: projectDir,
    testEnvironment: 'node',
    resolver: '@nx/jest/plugins/resolver',
    transform: { '^.+\\.[cm]?[tj]s$': swcTransform },
    moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
    modulePathIgnorePatterns: ['<rootDir>/dist/'],
    coverageDirectory: path.join(root, 'coverage', path.relative(path.resolve(__dirname, '../..'), projectDir)),
  };
}

/** `*.spec.ts`: fast, no services. */
function unitConfig(projectDir, displayName) {
  return { ...baseConfig(projectDir, displayName), testMatch: ['<rootDir>/src/**/*.spec.ts'] };
}

/** `*.int-spec.ts`: real Redis and Postgres; each file isolates itself (own database, own queue prefix). */
function intConfig(projectDir, displayName) {
  return {
    ...baseConfig(projectDir, `${displayName}:int`),
    testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
    testTimeout: 60_000,
    slowTestThreshold: 20,
  };
}

module.exports = { unitConfig, intConfig };
