const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

module.exports = {
  output: {
    path: join(__dirname, '../../dist/apps/api'),
    clean: true,
    ...(process.env.NODE_ENV !== 'production' && {
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    }),
  },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      sourceMap: true,
      // Reads the DTO classes (types, optionality, class-validator rules, doc comments) into the OpenAPI document.
      transformers: [
        {
          name: '@nestjs/swagger/plugin',
          options: { dtoFileNameSuffix: ['.dto.ts'], controllerFileNameSuffix: ['.controller.ts'], introspectComments: true, classValidatorShim: true },
        },
      ],
    }),
  ],
};
