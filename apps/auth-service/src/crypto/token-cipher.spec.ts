import { randomBytes } from 'node:crypto';

import { TokenCipher, TokenCipherError } from './token-cipher';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('TokenCipher', () => {
  it('opens what it sealed, and the sealed value shows neither the token nor the key', () => {
    const ring = [key('k1')];
    const cipher = new TokenCipher(ring);

    const sealed = cipher.seal('at-plain-123', 'access:loc-1');

    expect(cipher.open(sealed, 'access:loc-1')).toBe('at-plain-123');
    expect(sealed).toMatch(/^v1\.k1\./);
    expect(sealed).not.toContain('at-plain-123');
    expect(sealed).not.toContain(ring[0].key.toString('base64url'));
  });

  it('seals with the newest key and still opens what older keys sealed', () => {
    const old = key('k1');
    const sealedBefore = new TokenCipher([old]).seal('rt-1', 'refresh:loc-1');
    const rotated = new TokenCipher([old, key('k2')]);

    const sealedAfter = rotated.seal('rt-2', 'refresh:loc-1');

    expect(rotated.open(sealedBefore, 'refresh:loc-1')).toBe('rt-1');
    expect(TokenCipher.keyIdOf(sealedAfter)).toBe('k2');
    expect(rotated.currentKeyId).toBe('k2');
  });

  it('refuses a value moved to another row, tampered with, or sealed by a retired key', () => {
    const cipher = new TokenCipher([key('k1')]);
    const sealed = cipher.seal('at-1', 'access:loc-1');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('forged').toString('base64url');

    expect(() => cipher.open(sealed, 'access:loc-2')).toThrow(TokenCipherError);
    expect(() => cipher.open(parts.join('.'), 'access:loc-1')).toThrow(TokenCipherError);
    expect(() => new TokenCipher([key('k9')]).open(sealed, 'access:loc-1')).toThrow(/k1/);
  });

  it('reads no key id from a value not in the sealed format, such as a token in the clear', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2MtMSJ9.c2lnbmF0dXJl';

    expect(TokenCipher.keyIdOf(jwt)).toBe('');
    expect(TokenCipher.keyIdOf('v1.k1.a.b')).toBe('');
    expect(TokenCipher.keyIdOf(new TokenCipher([key('k1')]).seal('at-1', 'access:l'))).toBe('k1');
  });
});
