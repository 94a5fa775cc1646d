import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The development secrets the demo stack runs with. Never used outside a developer's machine. */
export interface DemoSecrets {
  tokenEncryptionKeys: string;
  oauthStateSecret: string;
  serviceToken: string;
  /** The demo location's read API key (`READ_API_KEYS`), for trying `docs/read-api.md`. */
  readApiKey: string;
}

export function generateDemoSecrets(): DemoSecrets {
  return {
    tokenEncryptionKeys: `demo1:${randomBytes(32).toString('base64')}`,
    oauthStateSecret: randomBytes(32).toString('hex'),
    serviceToken: randomBytes(32).toString('hex'),
    readApiKey: randomBytes(32).toString('hex'),
  };
}

/**
 * Secrets generated on the first run and kept in the git-ignored `tmp/demo`, so that tokens
 * sealed by one run still open in the next.
 */
export function loadOrCreateDemoSecrets(stateDir: string): DemoSecrets {
  const file = demoSecretsFile(stateDir);
  const kept = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoSecrets>)
    : undefined;
  // A file from an older demo may lack a secret added since: only the missing ones are made.
  const secrets = { ...generateDemoSecrets(), ...kept };
  if (kept && Object.keys(secrets).every((name) => name in kept)) return secrets;

  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });

  return secrets;
}

export const demoSecretsFile = (stateDir: string) => path.join(stateDir, 'secrets.json');
