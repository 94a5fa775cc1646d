import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { WORKSPACE_ROOT } from '@sm/testing';

interface Exit {
  code: number | null;
  output: string;
}

/** The sync worker's main.ts with exactly `env` (and PATH); nothing here reaches a server. */
function runWorker(env: Record<string, string>, args: string[]): Promise<Exit> {
  const base = {
    PATH: process.env.PATH ?? '',
    // Never reached: the config check stops the process before anything connects.
    DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
    REDIS_URL: 'redis://127.0.0.1:9',
    SERVICE_TOKEN: 'automation-config-e2e-service-token-0123456789',
  };

  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['tools/run-ts.cjs', 'apps/sync-worker/src/main.ts', ...args],
      { cwd: WORKSPACE_ROOT, env: { ...base, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the automation variables at boot', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'automation-config-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('stop --check-config with the variable named, no stack', async () => {
    const notRules = path.join(dir, 'hostname');
    writeFileSync(notRules, 'myhost\n');

    const missing = await runWorker({ AUTOMATION_RULES_FILE: path.join(dir, 'no.yaml') }, [
      '--check-config',
    ]);
    const notAutomation = await runWorker({ AUTOMATION_RULES_FILE: notRules }, ['--check-config']);
    const unknownRule = await runWorker({ AUTOMATION_ENABLED_RULES: 'nope-rule' }, [
      '--check-config',
    ]);

    expect(missing).toEqual({
      code: 1,
      output: 'sync-worker: Invalid configuration:\n  - AUTOMATION_RULES_FILE: no such file\n',
    });
    expect(notAutomation).toEqual({
      code: 1,
      output:
        'sync-worker: Invalid configuration:\n  - AUTOMATION_RULES_FILE: is not an automation ' +
        'file (a mapping with rules and locations)\n',
    });
    expect(unknownRule.code).toBe(1);
    expect(unknownRule.output).toMatch(
      new RegExp(
        '^sync-worker: Invalid configuration:\\n {2}- AUTOMATION_ENABLED_RULES: no rule ' +
          'nope-rule \\(the rules are [a-z, -]+\\)\\n$',
      ),
    );
  }, 120_000);

  it('stop the boot itself the same way, before it connects to anything', async () => {
    const booted = await runWorker({ AUTOMATION_RULES_FILE: path.join(dir, 'no.yaml') }, []);

    expect(booted).toEqual({
      code: 1,
      output: 'sync-worker: Invalid configuration:\n  - AUTOMATION_RULES_FILE: no such file\n',
    });
  }, 60_000);

  it('pass --check-config with a file and enabled ids that fit', async () => {
    const file = path.join(dir, 'automation.yaml');
    writeFileSync(file, "locations:\n  '*':\n    new-lead-follow-up: { enabled: true }\n");

    const checked = await runWorker(
      { AUTOMATION_RULES_FILE: file, AUTOMATION_ENABLED_RULES: 'task-completed-team-notice' },
      ['--check-config'],
    );

    expect(checked).toEqual({ code: 0, output: 'sync-worker: configuration ok\n' });
  }, 60_000);
});
