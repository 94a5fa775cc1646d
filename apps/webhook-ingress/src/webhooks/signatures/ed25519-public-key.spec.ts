import { generateKeyPairSync } from 'node:crypto';

import { SMALL_ORDER_Y, ed25519KeyWeakness } from './ed25519-public-key';
import { loadSodium } from './sodium';

/** The 32-byte encoding of `y`, with x's sign bit set or not. */
function encode(y: bigint, isXNegative: boolean): Buffer {
  const bytes = Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse();
  if (isXNegative) bytes[31] |= 0x80;

  return bytes;
}

function rawPublicKey(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');

  return Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
}

describe('ed25519KeyWeakness', () => {
  const sodium = loadSodium();
  const checks = [
    ['libsodium', sodium],
    ['the fallback without libsodium', null],
  ] as const;
  const smallOrderEncodings = SMALL_ORDER_Y.flatMap((y) => [encode(y, false), encode(y, true)]);

  it("lists the order-8 points' two y coordinates, each the other's negation", () => {
    expect(SMALL_ORDER_Y[4]).toBe(
      55188659117513257062467267217118295137698188065244968500265048394206261417927n,
    );
  });

  it('agrees with libsodium that every listed encoding is no valid point', () => {
    const valid = smallOrderEncodings.filter((point) =>
      sodium?.crypto_core_ed25519_is_valid_point(point),
    );

    expect(sodium).not.toBeNull();
    expect(smallOrderEncodings).toHaveLength(14);
    expect(valid).toEqual([]);
  });

  for (const [name, check] of checks) {
    it(`${name}: refuses every small-order encoding, canonical or not`, () => {
      const accepted = smallOrderEncodings.filter(
        (point) => ed25519KeyWeakness(point, check) === undefined,
      );

      expect(accepted).toEqual([]);
    });

    it(`${name}: accepts generated keys`, () => {
      const keys = Array.from({ length: 20 }, rawPublicKey);

      expect(keys.map((key) => ed25519KeyWeakness(key, check))).toEqual(keys.map(() => undefined));
    });
  }

  it('with libsodium, also refuses a point off the prime-order subgroup that is not small', () => {
    // A generated key plus the order-2 point (0, -1) is (x, y) -> (-x, -y): y negated mod p.
    const key = rawPublicKey();
    const field = 2n ** 255n - 19n;
    const y = BigInt(`0x${Buffer.from(key).reverse().toString('hex')}`) & ((1n << 255n) - 1n);
    const isXNegative = (key[31] & 0x80) !== 0;
    const mixedOrder = encode(field - y, !isXNegative);

    expect(ed25519KeyWeakness(mixedOrder, sodium)).toMatch(/prime-order subgroup/);
  });
});
