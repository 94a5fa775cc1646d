const preset = require('../../jest.preset.js');

// @nestjs/terminus 12 (and the TypeORM module @sm/platform's index loads) ship as ES modules
// only; jest, unlike Node 20.19's require, cannot load those, so they are compiled to CommonJS
// like our own sources.
const ESM_ONLY = ['bull-shared', 'bullmq', 'config', 'terminus', 'typeorm'].map(
  (name) => `@nestjs/${name}`,
);
const [tsPattern, swc] = Object.entries(preset.transform)[0];

module.exports = {
  ...preset,
  displayName: 'ghl-sandbox',
  rootDir: __dirname,
  transform: { [tsPattern]: swc, [`node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};
