import { randomUUID } from 'node:crypto';

import { PostgresRelay } from '@sm/testing';

import { Answer, IngressHarness } from './support/ingress-harness';

function delivery(): string {
  return JSON.stringify({
    type: 'ContactUpdate',
    locationId: 'loc-silent',
    id: `contact-${randomUUID()}`,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
  });
}

async function readiness(ingress: IngressHarness): Promise<{ status: number; postgres: string }> {
  const response = await fetch(new URL('/health/ready', ingress.url));
  const body = (await response.json()) as { details: { postgres: { status: string } } };

  return { status: response.status, postgres: body.details.postgres.status };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A partition or a failed-over primary leaves the pool's connections open and silent: no error,
// no close. An insert sent on one must not hold its batch slot, or its connection, for good.
describe('webhook-ingress when its Postgres connections go silent', () => {
  const relay = new PostgresRelay();
  const ingress = new IngressHarness();

  beforeAll(async () => {
    await relay.start();
    await ingress.start({}, (databaseUrl) => relay.urlFor(databaseUrl));
  });

  afterAll(async () => {
    await ingress.stop();
    await relay.stop();
  });

  it('answers 429 and is unready while no insert completes, records again after', async () => {
    // A burst first: two batches at once leave two open connections in the pool.
    const burst = await Promise.all(
      Array.from({ length: 200 }, () => ingress.postSigned(delivery())),
    );

    relay.silence();
    const silencedAt = Date.now();
    // Two deliveries in two turns: two batches, each on a connection that no longer answers.
    const [during, readyDuring] = await Promise.all([
      Promise.all([
        ingress.postSigned(delivery()),
        pause(50).then(() => ingress.postSigned(delivery())),
      ]),
      pause(200).then(() => readiness(ingress)),
    ]);
    const answeredWithinMs = Date.now() - silencedAt;

    relay.restore();
    const after: Answer[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      after.push(await ingress.postSigned(delivery()));
      await pause(1_000);
    }
    const readyAfter = await readiness(ingress);
    const acceptedIds = [...burst, ...after].map((answer) => answer.body.id);
    const stored: { id: string }[] = await ingress.db.query(
      'SELECT id FROM webhook_inbox WHERE id = ANY($1::uuid[])',
      [acceptedIds],
    );

    expect(burst.map((answer) => answer.status)).toEqual(burst.map(() => 200));
    // Their outcome unknown, they get GHL's retry, within the ingress' 3 s record timeout.
    expect(during.map((answer) => answer.status)).toEqual([429, 429]);
    expect(answeredWithinMs).toBeLessThan(4_000);
    expect(readyDuring).toEqual({ status: 503, postgres: 'down' });
    expect(after.map((answer) => answer.body.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(readyAfter).toEqual({ status: 200, postgres: 'up' });
    // Nothing answered 200 is lost.
    expect(stored).toHaveLength(acceptedIds.length);
  }, 30_000);
});
