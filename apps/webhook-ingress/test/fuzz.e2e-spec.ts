import fc from 'fast-check';

import { IngressHarness } from './support/ingress-harness';
import { SigningKey, signatureHeader } from './support/signing-keys';

/** Header values a real HTTP client can send (visible ASCII), biased towards ones that matter. */
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{0,40}$/),
  fc.constantFrom('N/A', 'n/a', '', '====', 'AAAA', 'application/json'),
  fc.base64String({ maxLength: 700 }),
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'APPLICATION/JSON',
  ),
  headerValue,
);

const eventType = fc.constantFrom('ContactCreate', 'TaskComplete', 'INSTALL', 'NoteDelete', 'X');

/** Bodies from garbage through almost-events to well-formed events. */
const body = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record({
      type: fc.oneof(eventType, fc.string({ maxLength: 80 }), fc.integer()),
      locationId: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(null), fc.integer()),
      id: fc.string({ maxLength: 20 }),
      webhookId: fc.oneof(fc.uuid(), fc.string({ maxLength: 200 })),
      appointment: fc.anything({ maxDepth: 2 }),
    })
    .map((event) => JSON.stringify(event)),
);

const GENUINE_EVENT = JSON.stringify({
  type: 'ContactCreate',
  locationId: 'fuzzLocation000000001',
  id: 'fuzzContact0000000001',
});

type Signing = 'none' | 'valid' | 'stranger' | 'valid-over-other-bytes' | 'random';

describe('webhook-ingress under random deliveries (property)', () => {
  const ingress = new IngressHarness();

  beforeAll(() => ingress.start());
  afterAll(() => ingress.stop());

  it('never answers 5xx, and stores exactly the genuine deliveries it accepted', async () => {
    const signedBodies = new Set<string>();
    let acceptedCount = 0;
    const keyOf = (scheme: 'ed25519' | 'rsa', stranger: boolean): SigningKey =>
      scheme === 'ed25519'
        ? stranger
          ? ingress.stranger
          : ingress.ed25519
        : stranger
          ? ingress.strangerRsa
          : ingress.rsa;

    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        fc.constantFrom<Signing>('none', 'valid', 'stranger', 'valid-over-other-bytes', 'random'),
        fc.constantFrom<'ed25519' | 'rsa'>('ed25519', 'rsa'),
        fc.dictionary(fc.constantFrom('x-ghl-signature', 'x-wh-signature', 'x-extra'), headerValue),
        async (bytes, type, signing, scheme, noise) => {
          const headers = signatureHeaders(signing, bytes, keyOf(scheme, signing === 'stranger'));
          // A genuine delivery gets no noise in the signature headers (a noisy x-ghl-signature
          // would rightly shadow its x-wh-signature); every other delivery gets all of it.
          const isGenuine = signing === 'valid';
          const noisy = isGenuine ? { 'x-extra': noise['x-extra'] ?? '' } : noise;
          if (isGenuine) signedBodies.add(bytes);

          const response = await fetch(ingress.url, {
            method: 'POST',
            body: bytes,
            headers: { 'content-type': type, ...noisy, ...headers },
          });
          const answer = await response.text();

          expect(response.status).toBeLessThan(500);
          if (!isGenuine) expect(response.status).toBeGreaterThanOrEqual(400);
          if (response.status === 200 && JSON.parse(answer).status === 'accepted') acceptedCount++;
        },
      ),
      {
        numRuns: 300,
        // Random runs can go by without one storable genuine event; this one always is.
        examples: [[GENUINE_EVENT, 'application/json', 'valid', 'ed25519', {}]],
      },
    );

    // jsonb keeps its own key order, so payloads are compared in a canonical form.
    const signedPayloads = new Set([...signedBodies].flatMap(canonicalJson));
    const stored = await ingress.inboxRows();
    expect(acceptedCount).toBeGreaterThan(0);
    expect(stored).toHaveLength(acceptedCount);
    for (const row of stored) {
      expect(signedPayloads).toContain(canonicalJson(JSON.stringify(row.payload))[0]);
    }
    // 300 sequential deliveries: ~2 s alone, several times that on a machine shared with others.
  }, 30_000);
});

function signatureHeaders(signing: Signing, bytes: string, key: SigningKey) {
  if (signing === 'none' || signing === 'random') return {};
  if (signing === 'valid-over-other-bytes') return signatureHeader(key, `${bytes} `);

  return signatureHeader(key, bytes);
}

/** The JSON text with every object's keys sorted; none when the text is not JSON. */
function canonicalJson(text: string): string[] {
  const sortKeys = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sortKeys)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([key, inner]) => [key, sortKeys(inner)]),
          )
        : value;
  try {
    return [JSON.stringify(sortKeys(JSON.parse(text)))];
  } catch {
    return [];
  }
}
