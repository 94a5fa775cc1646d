import { KeyObject, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Scheme = 'ed25519' | 'rsa';

/** A signing key pair made for this test run; only the public half is written to disk. */
export interface SigningKey {
  scheme: Scheme;
  privateKey: KeyObject;
  publicKeyFile: string;
}

export class TestKeys {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'ingress-keys-'));
  private count = 0;

  generate(scheme: Scheme): SigningKey {
    // 2048-bit keeps the suite fast; GHL's published key is 4096-bit, the code is size-agnostic.
    const { privateKey, publicKey } =
      scheme === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKeyFile = path.join(this.dir, `${scheme}-${++this.count}.pem`);
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));

    return { scheme, privateKey, publicKeyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The header GHL would send for `body` signed with `key`: base64 over the exact bytes. */
export function signatureHeader(key: SigningKey, body: string | Buffer): Record<string, string> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (key.scheme === 'ed25519') {
    return { 'x-ghl-signature': sign(null, bytes, key.privateKey).toString('base64') };
  }

  return { 'x-wh-signature': sign('sha256', bytes, key.privateKey).toString('base64') };
}
