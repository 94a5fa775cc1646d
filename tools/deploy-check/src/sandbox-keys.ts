import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { composeCommand } from './compose-env';
import type { ComposeService } from './workspace';

/**
 * The files the compose `sandbox-webhook-keys` job writes into its volume: container path →
 * which of the sandbox's keys (`ed25519` or `rsa`), read from its command.
 */
export function sandboxKeyFiles(job: ComposeService): Record<string, 'ed25519' | 'rsa'> {
  const script = composeCommand(job).join(' ');
  const writes = [...script.matchAll(/writeFileSync\('([^']+)',\s*k\.(ed25519|rsa)\)/g)];

  return Object.fromEntries(writes.map(([, file, kind]) => [file, kind as 'ed25519' | 'rsa']));
}

/**
 * Stands in for the volume on this machine: the same files, holding public keys made here, in a
 * scratch folder. Returns the folder that takes the place of `mountPath`.
 */
export function materialiseSandboxKeys(
  files: Record<string, 'ed25519' | 'rsa'>,
  mountPath: string,
): string {
  const local = mkdtempSync(path.join(tmpdir(), 'deploy-check-keys-'));
  for (const [file, kind] of Object.entries(files)) {
    const { publicKey } =
      kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const target = path.join(local, path.relative(mountPath, file));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, publicKey.export({ type: 'spki', format: 'pem' }));
  }

  return local;
}
