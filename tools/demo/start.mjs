#!/usr/bin/env node
// `npm start`: installs what is missing, then runs the demo (tools/demo/src/main.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const installed = path.join(root, 'node_modules/.package-lock.json');
const lockfile = path.join(root, 'package-lock.json');

const isInstalled =
  existsSync(installed) && statSync(installed).mtimeMs >= statSync(lockfile).mtimeMs;
if (!isInstalled) {
  process.stderr.write('▶ installing dependencies (npm ci)\n');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

const demo = spawnSync(
  process.execPath,
  [path.join(root, 'tools/run-ts.cjs'), 'tools/demo/src/main.ts', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(demo.status ?? 1);
