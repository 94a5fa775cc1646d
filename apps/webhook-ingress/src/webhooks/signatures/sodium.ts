/** What the ingress uses of libsodium (sodium-native ships no types). */
export interface Sodium {
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
  crypto_core_ed25519_is_valid_point(point: Buffer): boolean;
}

/** libsodium, or `null` on a platform where sodium-native has no binary. */
export function loadSodium(): Sodium | null {
  try {
    // Required lazily: a platform without a prebuilt binary falls back instead of failing boot.
    return require('sodium-native') as Sodium;
  } catch {
    return null;
  }
}
