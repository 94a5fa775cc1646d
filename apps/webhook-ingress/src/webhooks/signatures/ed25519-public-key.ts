import { Sodium, loadSodium } from './sodium';

const POINT_BYTES = 32;
const FIELD_PRIME = 2n ** 255n - 19n;
/** The y of two of the four points of order 8 (the other two share them, x negated). */
const ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;

/**
 * The y coordinates of every point of small order (1, 2, 4, 8), with the two values above the
 * field prime that encode 0 and 1 again (non-canonically). The x sign bit is ignored when
 * comparing: each y stands for both of its points, and for a -0 that is not canonical either.
 */
export const SMALL_ORDER_Y = [
  0n,
  1n,
  FIELD_PRIME - 1n,
  ORDER_8_Y,
  FIELD_PRIME - ORDER_8_Y,
  FIELD_PRIME,
  FIELD_PRIME + 1n,
];

/**
 * Why a 32-byte Ed25519 public key must not be trusted, or undefined when it may. With a key of
 * small order, a signature whose R is the identity and S is zero verifies over any body in
 * OpenSSL (node:crypto), a universal forgery; libsodium refuses it, but the ingress sends large
 * bodies to node:crypto.
 *
 * With libsodium, the key must be a canonical point of the prime-order subgroup. Without it, the
 * small-order encodings are refused, which closes the forgery.
 */
export function ed25519KeyWeakness(
  rawKey: Buffer,
  sodium: Sodium | null = loadSodium(),
): string | undefined {
  if (rawKey.length !== POINT_BYTES) return `is ${rawKey.length} bytes, expected ${POINT_BYTES}`;
  if (sodium) {
    return sodium.crypto_core_ed25519_is_valid_point(rawKey)
      ? undefined
      : 'is not a point of the Ed25519 prime-order subgroup (a weak key: signatures forgeable)';
  }
  // TODO: without libsodium a mixed-order key (a subgroup point plus a small-order one) still
  // loads. It gives no forgery to anyone who does not hold its private half, unlike the
  // small-order keys refused here; a full subgroup check needs point arithmetic of our own.
  return SMALL_ORDER_Y.includes(yOf(rawKey))
    ? 'is a point of small order (a weak key: signatures forgeable)'
    : undefined;
}

/** The y coordinate of an encoded point: little-endian, the top bit (x's sign) left out. */
function yOf(rawKey: Buffer): bigint {
  const bytes = Buffer.from(rawKey).reverse();
  bytes[0] &= 0x7f;

  return BigInt(`0x${bytes.toString('hex')}`);
}
