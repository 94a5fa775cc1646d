import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../../config/webhook-ingress.config';
import { SignatureScheme } from '../../config/webhook-public-keys';
import { WebhookRefusal } from '../webhook-refusal';
import { Ed25519Verifier, verifiesOnThreadPool } from './ed25519-verifier';

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
 * Ed25519 is checked by {@link Ed25519Verifier} (libsodium, on the event loop); RSA by
 * node:crypto on libuv's thread pool, where a 2048-bit check costs a fraction of an Ed25519 one.
 */
@Injectable()
export class WebhookSignatureService implements OnModuleInit {
  private readonly logger = new Logger(WebhookSignatureService.name);
  private readonly ed25519: SchemeSpec;
  private readonly rsa: SchemeSpec;
  private readonly ed25519Verifier = new Ed25519Verifier();

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

  onModuleInit(): void {
    const implementation = this.ed25519Verifier.implementation;
    if (implementation === 'libsodium') {
      this.logger.log({ implementation }, 'Ed25519 signatures checked with libsodium');
    } else {
      this.logger.warn(
        { implementation },
        'sodium-native did not load on this platform; Ed25519 signatures checked with ' +
          'node:crypto, at about twice the CPU per delivery',
      );
    }
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
      isGenuine =
        scheme.digest === null
          ? await this.ed25519Verifier.verifies(body, key, signature as Buffer)
          : await verifiesOnThreadPool(scheme.digest, body, key, signature as Buffer);
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
