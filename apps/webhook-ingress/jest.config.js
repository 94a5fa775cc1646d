const preset = require('../../jest.preset.js');

// These @nestjs packages ship ES modules only, which jest's CommonJS runtime cannot load on
// Node 20: swc compiles them to CommonJS as well.
// TODO: share this through jest.preset.js (a workspace file other projects copy it into today).
const esmOnlyPackages = [
  '@nestjs/typeorm',
  '@nestjs/terminus',
  '@nestjs/bullmq',
  '@nestjs/bull-shared',
  '@nestjs/config',
];
const [, swcTransform] = Object.values(preset.transform)[0];

module.exports = {
  ...preset,
  displayName: 'webhook-ingress',
  rootDir: __dirname,
  transform: {
    ...preset.transform,
    [`^.+/node_modules/(${esmOnlyPackages.join('|')})/.+\\.js$`]: [
      '@swc/jest',
      { ...swcTransform, jsc: { ...swcTransform.jsc, parser: { syntax: 'ecmascript' } } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
};
