import { KeyObject, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { csv } from '@sm/config';

export type SignatureScheme = 'ed25519' | 'rsa-sha256';

/** A webhook-signing public key, parsed once at boot. */
export interface WebhookPublicKey {
  file: string;
  key: KeyObject;
}

const KEY_TYPE: Record<SignatureScheme, string> = { ed25519: 'ed25519', 'rsa-sha256': 'rsa' };

/**
 * The folder that holds `vendor/ghl`: the workspace root in a checkout, `/app` in the image. It
 * is found by walking up, because sources and their compiled copy in `dist/` sit at different
 * depths.
 */
export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'vendor/ghl/keys'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/**
 * An environment variable listing PEM files, comma-separated (several keys per scheme are
 * accepted at once, so that a rotation needs no downtime). Each file is read and parsed here,
 * at boot: a missing, unreadable or wrong-type key stops the service naming the variable.
 * Relative paths are resolved from the workspace root.
 */
export function publicKeyFiles(scheme: SignatureScheme, defaultFile: string) {
  return csv([defaultFile]).transform((files, ctx) => {
    const keys: WebhookPublicKey[] = [];
    for (const file of files) {
      const resolved = path.resolve(workspaceRoot(), file);
      try {
        keys.push({ file: resolved, key: readPublicKey(resolved, scheme) });
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${resolved}: ${(error as Error).message}` });
      }
    }

    return keys.length === files.length ? keys : z.NEVER;
  });
}

function readPublicKey(file: string, scheme: SignatureScheme): KeyObject {
  const pem = readFileSync(file, 'utf8');
  // createPublicKey would happily derive a public key from a private one: refuse to let a
  // private key sit in the ingress' configuration at all.
  if (pem.includes('PRIVATE KEY')) throw new Error('is a private key; configure the public key');

  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== KEY_TYPE[scheme]) {
    throw new Error(`is a ${key.asymmetricKeyType} key, expected ${KEY_TYPE[scheme]}`);
  }

  return key;
}
