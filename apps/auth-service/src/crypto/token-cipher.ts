import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { type EncryptionKey, KEY_ID } from '../config/auth-service.config';

const FORMAT_VERSION = 'v1';
const IV_BYTES = 12;

/**
 * Why a sealed value did not open: not in the sealed format, sealed under a key id the ring
 * lacks, or sealed under a key id the ring holds with other bytes (or altered since: the two
 * look alike).
 */
export type OpenFailure = 'unknown-format' | 'key-missing' | 'not-authentic';

/** Thrown when a sealed value cannot be opened; says why without quoting the value. */
export class TokenCipherError extends Error {
  constructor(
    readonly reason: string,
    readonly failure: OpenFailure,
  ) {
    super(`cannot open sealed token: ${reason}`);
    this.name = 'TokenCipherError';
  }
}

/**
 * AES-256-GCM over a versioned key ring. A sealed value reads
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts), so that any key of the ring can open
 * what it sealed. `context` (e.g. `refresh:<locationId>`) is bound as additional authenticated
 * data: a ciphertext copied to another row or field fails to open.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(ring: EncryptionKey[]) {
    if (ring.length === 0) throw new Error('the token key ring is empty');
    this.keys = new Map(ring.map(({ id, key }) => [id, key]));
    this.current = ring[ring.length - 1];
  }

  /** The id of the key new seals use. */
  get currentKeyId(): string {
    return this.current.id;
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);

    return [FORMAT_VERSION, this.current.id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): string {
    const [version, keyId, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== FORMAT_VERSION || rest.length > 0 || ciphertext === undefined) {
      throw new TokenCipherError('unknown format', 'unknown-format');
    }
    const key = this.keys.get(keyId);
    if (!key) throw new TokenCipherError(`key ${keyId} is not in the key ring`, 'key-missing');

    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));

      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new TokenCipherError('authentication failed', 'not-authentic');
    }
  }

  /**
   * The id of the key that sealed a value, read from its header; empty for a value not in the
   * sealed format, whose second part may be anything (a token stored in the clear, say).
   */
  static keyIdOf(sealed: string): string {
    const parts = sealed.split('.');
    const isSealedFormat = parts[0] === FORMAT_VERSION && parts.length === 5;

    return isSealedFormat && KEY_ID.test(parts[1]) ? parts[1] : '';
  }
}

/** The AAD of each sealed field: binds a ciphertext to its row and its role. */
export const sealContext = {
  access: (locationId: string) => `access:${locationId}`,
  refresh: (locationId: string) => `refresh:${locationId}`,
};
