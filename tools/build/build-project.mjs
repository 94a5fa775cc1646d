// Builds one Nx project: type-checks it with tsc, then compiles it and the libs it imports with
// swc into dist/<project>, rewriting the @sm/* aliases to relative paths so that plain `node`
// runs the output (this is what the Dockerfile ships).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const projectRoot = process.argv[2];
if (!projectRoot) {
  process.stderr.write('usage: node tools/build/build-project.mjs <apps/name|libs/name>\n');
  process.exit(2);
}

const tsconfig = ['tsconfig.app.json', 'tsconfig.lib.json']
  .map((name) => path.join(root, projectRoot, name))
  .find((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig, '--noEmit'], {
  stdio: 'inherit',
});

const { compilerOptions } = JSON.parse(
  (await import('node:fs')).readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'),
);
const outDir = path.join(root, 'dist', projectRoot);
rmSync(outDir, { recursive: true, force: true });

const sources = [path.join(root, projectRoot, 'src'), path.join(root, 'libs')].flatMap(walk);
for (const file of sources) {
  if (file.endsWith('.json')) {
    // Data the code imports (e.g. a JSON schema): copied as is, beside the compiled code.
    const target = path.join(outDir, path.relative(root, file));
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(file, target);
    continue;
  }
  const { code } = await swc.transformFile(file, {
    cwd: root,
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      baseUrl: root,
      paths: compilerOptions.paths,
    },
    module: { type: 'commonjs' },
  });
  const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, code);
}
process.stdout.write(
  `built ${projectRoot} → ${path.relative(root, outDir)} (${sources.length} files)\n`,
);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : walk(full);
    const isSource = entry.name.endsWith('.ts') && !/\.(spec|e2e-spec)\.ts$/.test(entry.name);
    const isData =
      entry.name.endsWith('.json') && !/^(project|package|tsconfig.*)\.json$/.test(entry.name);
    return isSource || isData ? [full] : [];
  });
}
