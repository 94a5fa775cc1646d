import { KeyObject, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { csv } from '@sm/config';

import { ed25519KeyWeakness } from '../webhooks/signatures/ed25519-public-key';

export type SignatureScheme = 'ed25519' | 'rsa-sha256';

/** A webhook-signing public key, parsed once at boot. */
export interface WebhookPublicKey {
  file: string;
  key: KeyObject;
}

const KEY_TYPE: Record<SignatureScheme, string> = { ed25519: 'ed25519', 'rsa-sha256': 'rsa' };

/** NIST's floor for RSA signatures; GHL's published key is 4096-bit. */
const MIN_RSA_MODULUS_BITS = 2048;

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
 * at boot: a missing, unreadable, wrong-type or weak key stops the service naming the variable.
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
  // createPublicKey reads the first PEM block and ignores the rest: a rotation's second key put
  // in the same file would be dropped without a word.
  const blocks = pem.match(/-----BEGIN /g)?.length ?? 0;
  if (blocks > 1) {
    throw new Error(`holds ${blocks} keys; give each key a file of its own (comma-separated)`);
  }

  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== KEY_TYPE[scheme]) {
    throw new Error(`is a ${key.asymmetricKeyType} key, expected ${KEY_TYPE[scheme]}`);
  }
  const weakness = scheme === 'ed25519' ? ed25519KeyWeakness(rawEd25519(key)) : rsaWeakness(key);
  if (weakness) throw new Error(weakness);

  return key;
}

function rawEd25519(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
}

/**
 * node:crypto imports these without a word: a short modulus can be factored, an exponent of 1
 * makes the padded digest itself a valid signature over any body, and an even one is no RSA key.
 */
function rsaWeakness(key: KeyObject): string | undefined {
  const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
  if (modulusLength < MIN_RSA_MODULUS_BITS) {
    return `is a ${modulusLength}-bit RSA key, needs at least ${MIN_RSA_MODULUS_BITS} bits`;
  }
  if (publicExponent < 3n || publicExponent % 2n === 0n) {
    return `has the RSA public exponent ${publicExponent}, needs an odd one of at least 3`;
  }

  return undefined;
}
