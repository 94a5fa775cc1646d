// Runs a TypeScript entry point of this workspace without a build step: @swc-node/register
// compiles each file with swc as it loads (keeping the decorator metadata NestJS injects by) and
// resolves the tsconfig path aliases (@sm/*).
//
// Not ts-node: its entry module loads Node's REPL, and with it the `domain` module, whose async
// hooks then run on every promise and timer of the service (about 5 % of a sync worker's CPU in
// the sync bench). The built services (the Dockerfile's) never load it, and what the tests and
// benches run should behave as they do.
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT = path.join(root, 'tsconfig.base.json');
require('@swc-node/register');

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: node tools/run-ts.cjs <entry.ts> [args…]\n');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(root, entry));
