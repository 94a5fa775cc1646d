import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const WORKSPACE_ROOT = path.resolve(__dirname, '../../../..');
const CLI = path.join(WORKSPACE_ROOT, 'node_modules/openapi-typescript/bin/cli.js');
const SPECS = ['contacts', 'locations', 'oauth'];

/** The first line where two texts differ, described; undefined when they are equal. */
function firstDrift(committed: string, generated: string): string | undefined {
  const [a, b] = [committed.split('\n'), generated.split('\n')];
  const line = a.findIndex((text, index) => text !== b[index]);
  if (line === -1 && a.length === b.length) return undefined;
  const at = line === -1 ? a.length : line;

  return `line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}`;
}

/**
 * The committed types must be exactly what openapi-typescript makes of the vendored specs. When
 * this fails, regenerate them (see libs/ghl-client/README.md) and review the diff.
 */
describe('generated GHL types', () => {
  it.each(SPECS)('src/generated/%s.ts matches its vendored spec', async (spec) => {
    const specPath = path.join(WORKSPACE_ROOT, 'vendor/ghl/openapi/apps', `${spec}.json`);
    const committed = await readFile(path.join(__dirname, `${spec}.ts`), 'utf8');

    const { stdout } = await promisify(execFile)(process.execPath, [CLI, specPath], {
      cwd: WORKSPACE_ROOT,
      maxBuffer: 32 * 1024 * 1024,
    });

    expect(firstDrift(committed, stdout)).toBeUndefined();
  });
});
