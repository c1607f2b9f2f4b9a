import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/*
 * Module boundaries are the architecture: lint fails on a violation.
 *  - type:contracts (queue-contracts) depends on nothing of ours;
 *  - platform:web (the admin console) only sees platform:shared code, so it can never
 *    import the database layer or anything else that runs only on the server;
 *  - apps never import apps (Nx refuses app imports outright).
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/.next', '**/test-output', '**/playwright-report', '**/test-results'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:data', 'type:infra'] },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:data', 'type:infra', 'type:domain'],
            },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:contracts'] },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:data', 'type:infra', 'type:domain', 'type:client'],
            },
            // Test projects drive the apps from outside; they may use the libs' testing helpers.
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:data', 'type:infra', 'type:testing'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:data', 'type:infra'],
            },
            { sourceTag: 'platform:web', onlyDependOnLibsWithTags: ['platform:shared'] },
            { sourceTag: 'platform:shared', onlyDependOnLibsWithTags: ['platform:shared'] },
            { sourceTag: 'platform:node', onlyDependOnLibsWithTags: ['platform:node', 'platform:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // A DTO's property keeps its type even with a default: the OpenAPI build plugin reads the declared type.
      '@typescript-eslint/no-inferrable-types': ['error', { ignoreProperties: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Last: formatting is Prettier's (`npm run format`), so no lint rule argues with it.
  prettier,
];
