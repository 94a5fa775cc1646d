import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { WORKSPACE_ROOT } from './workspace';

export interface Route {
  method: string;
  path: string;
  file: string;
}

const CONTROLLER = /@Controller\(\s*(?:'([^']*)')?\s*\)/;
const HANDLER = /@(Get|Post|Put|Patch|Delete)\(([^)]*)\)/g;

function sourceFiles(dir: string, suffix = '.ts'): string[] {
  return readdirSync(path.join(WORKSPACE_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative, suffix);

    return entry.name.endsWith(suffix) ? [relative] : [];
  });
}

/** The TypeScript files under `dir` whose text contains `needle`. */
export function filesMentioning(dir: string, needle: string): string[] {
  return sourceFiles(dir).filter((file) =>
    readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8').includes(needle),
  );
}

const join = (...parts: string[]) =>
  `/${parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`;

/**
 * The HTTP routes the controllers under `dir` declare, read from their decorators (one
 * controller per file, the workspace's convention). No global prefix is set anywhere, so the
 * decorators are the whole path.
 */
export function declaredRoutes(dir: string): Route[] {
  return sourceFiles(dir, '.controller.ts').flatMap((file) => {
    const text = readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');
    const controller = CONTROLLER.exec(text);
    if (!controller) return [];

    return [...text.matchAll(HANDLER)].flatMap(([, method, args]) => {
      // `@Get()`, `@Get('path')` or `@Get(['path', 'alias'])`.
      const paths = [...args.matchAll(/'([^']*)'/g)].map(([, handlerPath]) => handlerPath);

      return (paths.length ? paths : ['']).map((handlerPath) => ({
        method: method.toUpperCase(),
        path: join(controller[1] ?? '', handlerPath),
        file,
      }));
    });
  });
}

/** Kubernetes' `Prefix` match: by whole path segments. */
export function matchesPrefix(prefix: string, routePath: string): boolean {
  const trimmed = prefix.replace(/\/+$/, '');

  return routePath === trimmed || routePath.startsWith(`${trimmed}/`) || trimmed === '';
}
