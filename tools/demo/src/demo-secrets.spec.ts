import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { demoSecretsFile, loadOrCreateDemoSecrets } from './demo-secrets';

describe("the demo's secrets file", () => {
  const newStateDir = () => mkdtempSync(path.join(tmpdir(), 'sm-demo-secrets-'));

  it('is made once, readable by its owner only, and read back the same', () => {
    const stateDir = newStateDir();

    const first = loadOrCreateDemoSecrets(stateDir);

    expect(loadOrCreateDemoSecrets(stateDir)).toEqual(first);
    expect(statSync(demoSecretsFile(stateDir)).mode & 0o777).toBe(0o600);
    expect(first.readApiKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps an older demo's secrets and adds only the ones it lacks", () => {
    const stateDir = newStateDir();
    const older = { tokenEncryptionKeys: 'demo1:old', oauthStateSecret: 'o', serviceToken: 's' };
    writeFileSync(demoSecretsFile(stateDir), JSON.stringify(older));

    const secrets = loadOrCreateDemoSecrets(stateDir);

    expect(secrets).toEqual({ ...older, readApiKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.parse(readFileSync(demoSecretsFile(stateDir), 'utf8'))).toEqual(secrets);
  });
});
