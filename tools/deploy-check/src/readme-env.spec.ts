import { readFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { appConfigSchema, appConfigVariables } from './app-config';
import { WORKSPACE_ROOT } from './workspace';

const SERVICES = ['auth-service', 'webhook-ingress', 'sync-worker', 'notification-service'];

describe('the documentation of the configuration', () => {
  const readme = readFileSync(path.join(WORKSPACE_ROOT, 'README.md'), 'utf8');
  const sandboxDoc = readFileSync(path.join(WORKSPACE_ROOT, 'docs/sandbox.md'), 'utf8');

  it.each(SERVICES)('README names every variable %s reads', (app) => {
    const undocumented = appConfigVariables(app).filter((name) => !readme.includes(`\`${name}\``));

    expect(undocumented).toEqual([]);
  });

  it.each(SERVICES)("README's defaults for %s are the ones its code applies", (app) => {
    const schema = appConfigSchema(app);
    const shared = documentedDefaults(readme, 'Shared by every service');
    const own = documentedDefaults(readme, `${app}`);
    const wrong = [...shared, ...own]
      .filter(({ name }) => name in schema.shape)
      .map(({ name, documented }) => ({ name, documented, applied: appliedDefault(schema, name) }))
      .filter(({ documented, applied }) => applied !== undefined && applied !== documented);

    expect(wrong).toEqual([]);
  });

  it('docs/sandbox.md names every variable the sandbox reads', () => {
    const undocumented = appConfigVariables('ghl-sandbox').filter(
      (name) => !sandboxDoc.includes(`\`${name}\``) && !readme.includes(`\`${name}\``),
    );

    expect(undocumented).toEqual([]);
  });
});

/**
 * The `variable | default | meaning` rows of the README table under the line that starts with
 * `heading` (a service's name, or "Shared by every service"), as the defaults written in code
 * quotes: one row may document several variables and their defaults, each list split by " / ".
 */
function documentedDefaults(readme: string, heading: string) {
  const lines = readme.split('\n');
  const start = lines.findIndex(
    (line) => line === `${heading}:` || line.startsWith(`${heading} (`),
  );
  if (start === -1) throw new Error(`README has no configuration table for ${heading}`);
  const rows = lines.slice(start + 1).filter((line, index, after) => {
    const tableEnd = after.findIndex((other, at) => at > 1 && !other.startsWith('|'));

    return index < (tableEnd === -1 ? after.length : tableEnd) && line.startsWith('| `');
  });

  return rows.flatMap((row) => {
    const [variables, defaults] = row.split('|').slice(1, 3);
    const names = [...variables.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]);
    const values = defaults.split(' / ').map((value) => /^\s*`([^`]*)`\s*$/.exec(value)?.[1]);

    return names.length === values.length
      ? names.flatMap((name, index) => {
          const documented = values[index];

          return documented === undefined ? [] : [{ name, documented }];
        })
      : [];
  });
}

/** The value an unset variable gets, as the README would write it; undefined when not plain. */
function appliedDefault(schema: z.ZodObject, name: string): string | undefined {
  const parsed = (schema.shape[name] as z.ZodType).safeParse(undefined);
  if (!parsed.success) return undefined;
  const value: unknown = parsed.data;

  return ['string', 'number', 'boolean'].includes(typeof value) ? String(value) : undefined;
}
