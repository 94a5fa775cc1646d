// One jest setup for every project: swc keeps NestJS decorator metadata, and the @sm/* aliases
// resolve to the libs' sources, exactly as at run time.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    path.join(__dirname, target),
  ]),
);

// These @nestjs packages ship ES modules only. Node 20.19+ `require`s them natively, but jest's
// CommonJS runtime cannot, so swc compiles them to CommonJS like our own sources.
const ESM_ONLY_PACKAGES = ['bull-shared', 'bullmq', 'config', 'terminus', 'typeorm'].map(
  (name) => `@nestjs/${name}`,
);

const swcOptions = (syntax) => ({
  jsc: {
    target: 'es2022',
    parser: { syntax, decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
});

module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/test/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcOptions('typescript')],
    [`/node_modules/(${ESM_ONLY_PACKAGES.join('|')})/.+\\.js$`]: [
      '@swc/jest',
      swcOptions('ecmascript'),
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleNameMapper,
  testTimeout: 60_000,
  // Each project's, so that `nx test <project>` removes its run's Redis keys as `npm test` does.
  globalSetup: path.join(__dirname, 'libs/testing/src/jest-run/global-setup.cjs'),
  globalTeardown: path.join(__dirname, 'libs/testing/src/jest-run/global-teardown.cjs'),
};
