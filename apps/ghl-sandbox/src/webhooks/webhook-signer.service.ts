import { Injectable } from '@nestjs/common';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';

export type SigningMode = 'both' | 'ed25519' | 'rsa' | 'none' | 'bad';

/**
 * Signs webhook bodies the way GHL does: `x-ghl-signature` is a base64 Ed25519 signature and
 * `x-wh-signature` a base64 RSA-SHA256 (PKCS#1 v1.5) signature, both over the exact bytes sent.
 * The key pairs are made at start-up and only their public halves ever leave the process.
 * GHL's RSA key is 4096-bit; 2048 keeps the sandbox's start fast and verifies the same way.
 */
@Injectable()
export class WebhookSigner {
  private readonly ed25519 = generateKeyPairSync('ed25519');
  private readonly rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  publicKeys(): { ed25519: string; rsa: string } {
    return { ed25519: pem(this.ed25519.publicKey), rsa: pem(this.rsa.publicKey) };
  }

  headers(body: Buffer, mode: SigningMode): Record<string, string> {
    const headers: Record<string, string> = {};
    if (mode === 'none') return headers;

    // `bad` signs other bytes: well-formed signatures that do not match the body.
    const signed = mode === 'bad' ? Buffer.concat([body, Buffer.from(' ')]) : body;
    if (mode !== 'rsa') {
      headers['x-ghl-signature'] = sign(null, signed, this.ed25519.privateKey).toString('base64');
    }
    if (mode !== 'ed25519') {
      headers['x-wh-signature'] = sign('sha256', signed, this.rsa.privateKey).toString('base64');
    }

    return headers;
  }
}

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
