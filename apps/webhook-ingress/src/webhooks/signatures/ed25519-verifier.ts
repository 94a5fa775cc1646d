import { KeyObject, verify } from 'node:crypto';

import { Sodium, loadSodium } from './sodium';

/** Bodies up to this size are checked on the event loop; larger ones on the thread pool. */
export const ON_LOOP_MAX_BYTES = 16 * 1024;

const SIGNATURE_BYTES = 64;

/**
 * Verifies Ed25519 signatures with libsodium (sodium-native) where it loads, with node:crypto
 * where it does not.
 *
 * Why libsodium: on the 2-core bench machine one check costs about 56 µs there against 113 µs in
 * node:crypto (OpenSSL 3), and the check is the largest single cost of a delivery. It runs
 * synchronously, on the event loop, which is cheaper than a hop to the thread pool for GHL's
 * bodies (a few KiB). A body over {@link ON_LOOP_MAX_BYTES}, which would hold the loop for
 * longer (the check hashes the whole body), goes to node:crypto on the thread pool instead, as
 * does everything when the native module is missing for this platform.
 */
export class Ed25519Verifier {
  private readonly rawKeys = new WeakMap<KeyObject, Buffer>();

  /** `null` stands for a platform where sodium-native does not load. */
  constructor(private readonly sodium: Sodium | null = loadSodium()) {}

  /** Which implementation checks the bodies that stay on the event loop. */
  get implementation(): 'libsodium' | 'node:crypto' {
    return this.sodium ? 'libsodium' : 'node:crypto';
  }

  /** True when `key` verifies `signature` over `body`. Never rejects. */
  async verifies(body: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
    if (signature.length !== SIGNATURE_BYTES) return false;
    if (this.sodium && body.length <= ON_LOOP_MAX_BYTES) {
      return this.sodium.crypto_sign_verify_detached(signature, body, this.rawKeyOf(key));
    }

    return verifiesOnThreadPool(null, body, key, signature);
  }

  /** The key's 32 bytes, as libsodium takes them (a KeyObject keeps its own form). */
  private rawKeyOf(key: KeyObject): Buffer {
    let raw = this.rawKeys.get(key);
    if (!raw) {
      raw = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
      this.rawKeys.set(key, raw);
    }

    return raw;
  }
}

/** True when `key` verifies `signature` over `body`, on the thread pool. Never rejects. */
export function verifiesOnThreadPool(
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
