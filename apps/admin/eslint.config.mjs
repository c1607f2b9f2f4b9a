import nextEslintPluginNext from '@next/eslint-plugin-next';
import nx from '@nx/eslint-plugin';
import baseConfig from '../../eslint.config.mjs';

export default [
  // React, hooks and jsx-a11y rules, then Next's own (core web vitals), then the
  // workspace rules (module boundaries: platform:web sees only platform:shared libs).
  ...nx.configs['flat/react'],
  nextEslintPluginNext.configs['core-web-vitals'],
  ...baseConfig,
  { ignores: ['.next/**/*', 'next-env.d.ts'] },
];
