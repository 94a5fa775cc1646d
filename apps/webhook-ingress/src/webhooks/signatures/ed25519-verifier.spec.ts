import { generateKeyPairSync, sign } from 'node:crypto';

import { Ed25519Verifier, ON_LOOP_MAX_BYTES } from './ed25519-verifier';

describe('Ed25519Verifier', () => {
  const signer = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const libsodium = new Ed25519Verifier();
  const nodeCrypto = new Ed25519Verifier(null);
  const small = Buffer.from('{"type":"ContactUpdate","locationId":"loc-1","id":"c-1"}');
  const large = Buffer.alloc(ON_LOOP_MAX_BYTES + 1, 'a');
  const signatureOver = (body: Buffer, key = signer.privateKey) => sign(null, body, key);

  it('loads libsodium on this platform, and reports node:crypto when told it is missing', () => {
    expect(libsodium.implementation).toBe('libsodium');
    expect(nodeCrypto.implementation).toBe('node:crypto');
  });

  // Every case through both implementations and both sides of the on-loop size limit: they
  // must agree on every answer, or a delivery's fate would depend on its size or the platform.
  const cases: [string, Buffer, (body: Buffer) => Buffer, boolean][] = [
    ['a genuine signature', small, (body) => signatureOver(body), true],
    ['a signature over other bytes', small, () => signatureOver(Buffer.from('other')), false],
    [
      'a signature by another key',
      small,
      (body) => signatureOver(body, stranger.privateKey),
      false,
    ],
    ['a flipped bit', small, (body) => flipLastBit(signatureOver(body)), false],
    ['a truncated signature', small, (body) => signatureOver(body).subarray(0, 63), false],
    [
      'a padded signature',
      small,
      (body) => Buffer.concat([signatureOver(body), Buffer.alloc(1)]),
      false,
    ],
    ['all zero bytes', small, () => Buffer.alloc(64), false],
    // R = the identity, S = 0: verifies for a small-order key in node:crypto, which is why the
    // configuration refuses such keys; for a real key both implementations refuse it.
    ['R the identity and S zero', small, () => identityWithZeroScalar(), false],
  ];
  const verifiers = [
    ['libsodium', libsodium],
    ['node:crypto', nodeCrypto],
  ] as const;

  for (const [name, verifier] of verifiers) {
    for (const [what, body, signatureFor, expected] of cases) {
      it(`${name}: ${what} is ${expected ? 'accepted' : 'refused'}, small and large`, async () => {
        await expect(verifier.verifies(body, signer.publicKey, signatureFor(body))).resolves.toBe(
          expected,
        );
        await expect(verifier.verifies(large, signer.publicKey, signatureFor(large))).resolves.toBe(
          expected,
        );
      });
    }
  }

  it('checks a body over the on-loop limit off the event loop', async () => {
    // A MiB takes milliseconds to hash: the loop turns long before the thread pool answers.
    const huge = Buffer.alloc(1024 * 1024, 'b');
    const signature = signatureOver(huge);
    let isLoopFree = false;
    setImmediate(() => (isLoopFree = true));

    const verifying = libsodium.verifies(huge, signer.publicKey, signature);
    expect(isLoopFree).toBe(false);
    await expect(verifying).resolves.toBe(true);
    expect(isLoopFree).toBe(true);
  });
});

function identityWithZeroScalar(): Buffer {
  const signature = Buffer.alloc(64);
  signature[0] = 1;

  return signature;
}

function flipLastBit(signature: Buffer): Buffer {
  const flipped = Buffer.from(signature);
  flipped[flipped.length - 1] ^= 1;

  return flipped;
}
