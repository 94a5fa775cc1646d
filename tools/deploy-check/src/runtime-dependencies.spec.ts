import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

import {
  SANDBOX,
  SERVICE_NAMES,
  WORKSPACE_ROOT,
  readWorkspaceFile,
  workspaceFileExists,
} from './workspace';

/** Production sources: what build-project compiles into dist (tests and the test kit aside). */
function productionSources(dir: string): string[] {
  return readdirSync(path.join(WORKSPACE_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : productionSources(relative);
    const isSource = entry.name.endsWith('.ts') && !/\.(spec|e2e-spec)\.ts$/.test(entry.name);

    return isSource ? [relative] : [];
  });
}

const IMPORT = new RegExp(
  [
    String.raw`^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'`,
    String.raw`\brequire\('([^']+)'\)`,
    String.raw`\bimport\('([^']+)'\)`,
    String.raw`^\s*import\s+'([^']+)'`,
  ].join('|'),
  'gm',
);

/** The npm packages a source file loads at run time (type-only imports are erased). */
function packagesImportedBy(file: string): string[] {
  const text = readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');

  return [...text.matchAll(IMPORT)]
    .map((match) => match.slice(1).find(Boolean) as string)
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('@sm/'))
    .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

const lock = JSON.parse(readWorkspaceFile('package-lock.json'));
const manifest = JSON.parse(readWorkspaceFile('package.json'));

/** In the tree `npm ci --omit=dev` installs: a locked package not marked dev-only. */
function isInstalledForProduction(name: string): boolean {
  const entry = lock.packages[`node_modules/${name}`];

  return entry !== undefined && entry.dev !== true;
}

const libs = readdirSync(path.join(WORKSPACE_ROOT, 'libs')).filter((lib) => lib !== 'testing');

/** Relative imports that are not TypeScript: the build copies JSON, and nothing else. */
function dataImportedBy(file: string): string[] {
  const text = readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');

  return [...text.matchAll(IMPORT)]
    .map((match) => match.slice(1).find(Boolean) as string)
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => {
      const target = path.join(path.dirname(file), specifier);

      return !['.ts', '/index.ts'].some((suffix) => workspaceFileExists(`${target}${suffix}`));
    });
}

/** `vendor/...` paths named in the code: read at run time from the image's /app/vendor. */
function vendorPathsIn(file: string): string[] {
  const text = readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');

  return [...text.matchAll(/'(vendor\/[^']+)'/g)].map(([, vendorPath]) => vendorPath);
}

describe('the runtime image (npm ci --omit=dev)', () => {
  it('installs from a lockfile that matches package.json, or npm ci refuses', () => {
    expect(lock.packages[''].dependencies).toEqual(manifest.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(manifest.devDependencies);
  });

  it.each([...SERVICE_NAMES, SANDBOX.name])('holds every package %s loads at run time', (app) => {
    const sources = [`apps/${app}/src`, ...libs.map((lib) => `libs/${lib}/src`)].flatMap(
      productionSources,
    );
    const missing = sources.flatMap((file) =>
      packagesImportedBy(file)
        .filter((name) => !isInstalledForProduction(name))
        .map((name) => `${file}: ${name}`),
    );

    expect(sources).toContain(`apps/${app}/src/main.ts`);
    expect(missing).toEqual([]);
  });

  it.each([...SERVICE_NAMES, SANDBOX.name])(
    'holds the data files %s imports or reads, where the code looks for them',
    (app) => {
      const sources = [`apps/${app}/src`, ...libs.map((lib) => `libs/${lib}/src`)].flatMap(
        productionSources,
      );
      const notCopied = sources.flatMap((file) =>
        dataImportedBy(file)
          .filter((specifier) => !specifier.endsWith('.json'))
          .map((specifier) => `${file}: ${specifier}`),
      );
      const vendorPaths = sources.flatMap(vendorPathsIn);
      const dockerfile = readWorkspaceFile('Dockerfile');

      expect(notCopied).toEqual([]);
      expect(vendorPaths.filter((vendorPath) => !vendorPath.startsWith('vendor/ghl/'))).toEqual([]);
      expect(vendorPaths.filter((vendorPath) => !workspaceFileExists(vendorPath))).toEqual([]);
      expect(dockerfile).toMatch(/^COPY .*vendor\/ghl \.\/vendor\/ghl$/m);
    },
  );
});
