#!/usr/bin/env node
// `npm test`: the whole suite, in the order that fails fastest. Lint (with Nx module
// boundaries), prettier's check of every file it formats, a type check of every project, then every jest project against the real
// Postgres and Redis named by TEST_DATABASE_URL / TEST_REDIS_URL (defaults: loopback).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const jestArgs = process.argv.slice(2);
const resultsFile = path.join(root, 'tmp/jest-results.json');

const steps = [
  [
    'lint (eslint + module boundaries)',
    bin('nx'),
    ['run-many', '-t', 'lint', '--outputStyle=static', '--skipNxCache'],
  ],
  ['format (prettier --check)', bin('prettier'), ['--check', '--log-level=warn', '.']],
  ['type check', bin('tsc'), ['-p', 'tsconfig.check.json']],
  [
    'jest',
    bin('jest'),
    ['--ci', '--maxWorkers=2', '--json', `--outputFile=${resultsFile}`, ...jestArgs],
  ],
];

mkdirSync(path.dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });

for (const [label, command, args] of steps) {
  if (jestArgs.length > 0 && label !== 'jest') continue;
  process.stdout.write(`\n▶ ${label}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`✖ ${label} failed after ${seconds} s\n`);
    if (label === 'jest') printClosingLine();
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`✔ ${label} (${seconds} s)\n`);
  if (label === 'jest') printClosingLine();
}

/** One plain line any CI reads: `tests: N passed, N failed[, N skipped]`. */
function printClosingLine() {
  if (!existsSync(resultsFile)) return;
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  const skipped = results.numPendingTests + results.numTodoTests;
  const tail = skipped ? `, ${skipped} skipped` : '';
  process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${failed} failed${tail}\n`);
}
