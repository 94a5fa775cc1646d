#!/usr/bin/env node
// `npm test`: the whole suite, in the order that fails fastest. Lint (with Nx module
// boundaries) and a type check of every project, then every jest project against the real
// Postgres and Redis named by TEST_DATABASE_URL / TEST_REDIS_URL (defaults: loopback).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const jestArgs = process.argv.slice(2);

const steps = [
  [
    'lint (eslint + module boundaries)',
    bin('nx'),
    ['run-many', '-t', 'lint', '--outputStyle=static', '--skipNxCache'],
  ],
  ['type check', bin('tsc'), ['-p', 'tsconfig.check.json']],
  [
    'jest',
    bin('jest'),
    [
      '--ci',
      '--maxWorkers=2',
      '--reporters=default',
      '--reporters=./tools/test/summary-reporter.js',
      ...jestArgs,
    ],
  ],
];

for (const [label, command, args] of steps) {
  if (jestArgs.length > 0 && label !== 'jest') continue;
  process.stdout.write(`\n▶ ${label}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`✖ ${label} failed after ${seconds} s\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`✔ ${label} (${seconds} s)\n`);
}
