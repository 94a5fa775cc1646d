import { KeyObject, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { Inject, Injectable } from '@nestjs/common';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../../config/webhook-ingress.config';
import { SignatureScheme } from '../../config/webhook-public-keys';
import { WebhookRefusal } from '../webhook-refusal';

interface SchemeSpec {
  header: 'x-ghl-signature' | 'x-wh-signature';
  /** The digest crypto.verify takes: none for Ed25519, SHA-256 (PKCS#1 v1.5) for RSA. */
  digest: string | null;
  keys: KeyObject[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies GHL's signature over the exact bytes received, never over re-serialized JSON (GHL's
 * own sample code does that, and it breaks whenever the sender's spacing or key order differs).
 * `x-ghl-signature` (Ed25519) wins when present; `x-wh-signature` (RSA, legacy) is only looked
 * at when it is absent. A delivery is genuine when any configured key of its scheme verifies it.
 *
 * The check runs on libuv's thread pool (crypto.verify with a callback), not on the event loop:
 * an Ed25519 verification costs more CPU than everything else the ingress does for a delivery,
 * and off the loop it runs on the machine's other cores while the loop serves other requests.
 */
// TODO: Ed25519 through node:crypto (OpenSSL 3) costs about 120 µs of CPU per delivery on the
// 2-core bench machine, a quarter of the whole machine's work per delivery in `npm run bench --
// ingress`; libsodium (the sodium-native package) verifies the same signature in about 73 µs,
// but synchronously, on the event loop. Not done: it adds a native dependency to the workspace,
// which is the lead's call. Safe for now: the check is correct and bounded per request.
@Injectable()
export class WebhookSignatureService {
  private readonly ed25519: SchemeSpec;
  private readonly rsa: SchemeSpec;

  constructor(@Inject(INGRESS_CONFIG) config: WebhookIngressConfig) {
    const keysOf = (keys: { key: KeyObject }[]) => keys.map(({ key }) => key);
    this.ed25519 = {
      header: 'x-ghl-signature',
      digest: null,
      keys: keysOf(config.WEBHOOK_ED25519_PUBLIC_KEY_FILES),
    };
    this.rsa = {
      header: 'x-wh-signature',
      digest: 'sha256',
      keys: keysOf(config.WEBHOOK_RSA_PUBLIC_KEY_FILES),
    };
  }

  /** The scheme that verified the body; rejects with a refusal (401) when unsigned or forged. */
  async verify(body: Buffer, headers: IncomingHttpHeaders): Promise<SignatureScheme> {
    const ed25519Signature = signatureValue(headers[this.ed25519.header]);
    if (ed25519Signature !== undefined) {
      await this.check(this.ed25519, ed25519Signature, body);

      return 'ed25519';
    }

    const rsaSignature = signatureValue(headers[this.rsa.header]);
    if (rsaSignature !== undefined) {
      await this.check(this.rsa, rsaSignature, body);

      return 'rsa-sha256';
    }

    throw new WebhookRefusal(
      401,
      'signature_missing',
      'the delivery is unsigned: no x-ghl-signature or x-wh-signature (N/A counts as none)',
    );
  }

  private async check(scheme: SchemeSpec, value: string, body: Buffer): Promise<void> {
    const signature = BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
    let isGenuine = false;
    // One key after the other: all but a rotation's few minutes have a single key per scheme.
    for (const key of signature ? scheme.keys : []) {
      isGenuine = await verifiesWith(scheme.digest, body, key, signature as Buffer);
      if (isGenuine) break;
    }
    if (!isGenuine) {
      throw new WebhookRefusal(
        401,
        'signature_invalid',
        `${scheme.header} does not verify against any configured key`,
      );
    }
  }
}

/** GHL sends `N/A` in a signature header it did not fill: that is no signature at all. */
function signatureValue(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim();

  return value === '' || value.toUpperCase() === 'N/A' ? undefined : value;
}

/** True when `key` verifies `signature` over `body`, on the thread pool. Never rejects. */
function verifiesWith(
  digest: string | null,
  body: Buffer,
  key: KeyObject,
  signature: Buffer,
): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      // A signature of the wrong length for the key is simply not a valid one, whether crypto
      // says so by throwing or through the callback.
      verify(digest, body, key, signature, (error, isValid) => resolve(!error && isValid));
    } catch {
      resolve(false);
    }
  });
}
