#!/usr/bin/env node
// `npm run bench -- <name>`: runs bench/<name>.bench.ts. Each benchmark measures its subject and
// a baseline in the same run and prints its figures, as ratios, on its last line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const available = readdirSync(path.join(root, 'bench'))
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace('.bench.ts', ''));
const name = process.argv[2];

if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}>\n`);
  process.exit(2);
}

const entry = path.join('bench', `${name}.bench.ts`);
if (!existsSync(path.join(root, entry))) process.exit(2);
const result = spawnSync(
  process.execPath,
  ['--expose-gc', path.join(root, 'tools/run-ts.cjs'), entry, ...process.argv.slice(3)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
