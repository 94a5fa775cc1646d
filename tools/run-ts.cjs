// Runs a TypeScript entry point of this workspace without a build step: ts-node with swc (fast,
// keeps decorator metadata for NestJS) and the tsconfig path aliases (@sm/*).
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.env.TS_NODE_PROJECT = path.join(root, 'tsconfig.base.json');
require('ts-node').register({
  project: process.env.TS_NODE_PROJECT,
  swc: true,
  transpileOnly: true,
});
require('tsconfig-paths').register({
  baseUrl: root,
  paths: require('../tsconfig.base.json').compilerOptions.paths,
});

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: node tools/run-ts.cjs <entry.ts> [args…]\n');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(root, entry));
