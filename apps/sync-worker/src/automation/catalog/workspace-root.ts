import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding `vendor/ghl` (the spec the catalog reads scopes from): the workspace root
 * in a checkout, `/app` in the image. Found by walking up from this file.
 */
export function workspaceRootOf(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'vendor/ghl/openapi'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}
