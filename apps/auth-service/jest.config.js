const preset = require('../../jest.preset.js');

// @nestjs/bullmq 12, typeorm 12, terminus 12 and config 12 ship as ES modules only; jest (unlike Node 20.19's
// require) cannot load those, so they are compiled to CommonJS like our own sources.
const ESM_ONLY = ['bull-shared', 'bullmq', 'config', 'terminus', 'typeorm'].map(
  (name) => `@nestjs/${name}`,
);
const [tsPattern, swc] = Object.entries(preset.transform)[0];

module.exports = {
  ...preset,
  displayName: 'auth-service',
  rootDir: __dirname,
  transform: { [tsPattern]: swc, [`node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};
