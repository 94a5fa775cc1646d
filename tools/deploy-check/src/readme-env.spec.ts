import { readFileSync } from 'node:fs';
import path from 'node:path';

import { appConfigVariables } from './app-config';
import { WORKSPACE_ROOT } from './workspace';

const SERVICES = ['auth-service', 'webhook-ingress', 'sync-worker', 'notification-service'];

describe('the documentation of the configuration', () => {
  const readme = readFileSync(path.join(WORKSPACE_ROOT, 'README.md'), 'utf8');
  const sandboxDoc = readFileSync(path.join(WORKSPACE_ROOT, 'docs/sandbox.md'), 'utf8');

  it.each(SERVICES)('README names every variable %s reads', (app) => {
    const undocumented = appConfigVariables(app).filter((name) => !readme.includes(`\`${name}\``));

    expect(undocumented).toEqual([]);
  });

  it('docs/sandbox.md names every variable the sandbox reads', () => {
    const undocumented = appConfigVariables('ghl-sandbox').filter(
      (name) => !sandboxDoc.includes(`\`${name}\``) && !readme.includes(`\`${name}\``),
    );

    expect(undocumented).toEqual([]);
  });
});
