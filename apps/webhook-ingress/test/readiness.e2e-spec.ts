import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { PrivateRedis, TEST_POSTGRES_URL, eventually } from '@sm/testing';

import { IngressHarness } from './support/ingress-harness';

interface Readiness {
  status: number;
  body: { status: string; details: Record<string, { status: string; message?: string }> };
  elapsedMs: number;
}

async function readiness(ingress: IngressHarness): Promise<Readiness> {
  const startedAt = Date.now();
  const response = await fetch(new URL('/health/ready', ingress.url));

  return {
    status: response.status,
    body: (await response.json()) as Readiness['body'],
    elapsedMs: Date.now() - startedAt,
  };
}

/** The first readiness answer whose Redis report passes `isWanted`. */
function readinessOnceRedis(
  ingress: IngressHarness,
  isWanted: (redisStatus: string | undefined) => boolean,
  timeoutMs = 10_000,
): Promise<Readiness> {
  return eventually(
    async () => {
      const answer = await readiness(ingress);

      return isWanted(answer.body.details.redis?.status) ? answer : undefined;
    },
    timeoutMs,
    'a readiness report on Redis',
  );
}

const isUp = (status: string | undefined) => status === 'up';
const isNotUp = (status: string | undefined) => status !== 'up';

function delivery(): string {
  return JSON.stringify({
    type: 'ContactUpdate',
    locationId: 'loc-ready',
    id: `contact-${randomUUID()}`,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
  });
}

/** Cuts the ingress off its scratch database (the shared server stays up for everyone else). */
async function withDatabaseRefused<T>(ingress: IngressHarness, run: () => Promise<T>): Promise<T> {
  const databaseName = new URL(ingress.database.url).pathname.slice(1);
  const admin = await new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL }).initialize();
  try {
    await admin.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      databaseName,
    ]);

    return await run();
  } finally {
    await admin.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS true`);
    await admin.destroy();
    await ingress.reconnectProbe();
  }
}

/** Makes the ingress' scratch database refuse writes in every new session, as a standby does. */
async function withDatabaseReadOnly<T>(ingress: IngressHarness, run: () => Promise<T>): Promise<T> {
  const databaseName = new URL(ingress.database.url).pathname.slice(1);
  const admin = await new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL }).initialize();
  const reconnectEveryone = () =>
    admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      databaseName,
    ]);
  try {
    await admin.query(`ALTER DATABASE ${databaseName} SET default_transaction_read_only = on`);
    await reconnectEveryone();

    return await run();
  } finally {
    await admin.query(`ALTER DATABASE ${databaseName} RESET default_transaction_read_only`);
    await reconnectEveryone();
    await admin.destroy();
    await ingress.reconnectProbe();
  }
}

// Readiness decides whether the Service sends GHL's deliveries to a pod: it must follow what
// accepting a delivery needs (Postgres, the inbox), not what queueing it needs (Redis).
describe('webhook-ingress readiness', () => {
  const redis = new PrivateRedis();
  const ingress = new IngressHarness();

  beforeAll(async () => {
    await redis.start();
    await ingress.start({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await ingress.stop();
    await redis.stop();
  });

  it('is ready with Postgres and Redis up, and says so for each', async () => {
    const ready = await readinessOnceRedis(ingress, isUp);

    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.postgres.status).toBe('up');
  });

  it('stays ready and accepts deliveries while Redis is down, reporting it degraded', async () => {
    await redis.stop();
    try {
      const ready = await readinessOnceRedis(ingress, isNotUp, 5_000);
      const accepted = await ingress.postSigned(delivery());

      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.details.postgres.status).toBe('up');
      expect(ready.body.details.redis.status).toBe('degraded');
      // A kubelet probe gives up after a second by default.
      expect(ready.elapsedMs).toBeLessThan(1_000);
      expect(accepted.status).toBe(200);
      expect(accepted.body.status).toBe('accepted');
    } finally {
      await redis.start();
    }
    const recovered = await readinessOnceRedis(ingress, isUp);
    expect(recovered.body.status).toBe('ok');
  });

  it('boots ready when Redis is already down (a pod restarted during an outage)', async () => {
    const unreachableRedis = new PrivateRedis();
    await unreachableRedis.start();
    await unreachableRedis.stop();
    const restarted = await new IngressHarness().start({ REDIS_URL: unreachableRedis.url });
    try {
      const ready = await readiness(restarted);
      const accepted = await restarted.postSigned(delivery());

      expect(ready.status).toBe(200);
      expect(ready.body.details.redis.status).toBe('degraded');
      expect(accepted.status).toBe(200);
      expect(accepted.body.status).toBe('accepted');
    } finally {
      await restarted.stop();
    }
  });

  it('is not ready while Postgres takes no writes (a failover left it on a standby)', async () => {
    // The pool's first query after the cut may report its own dropped connection (also a 503);
    // the report that matters comes once the pool has reconnected to the read-only database.
    const ready = await withDatabaseReadOnly(ingress, () =>
      eventually(
        async () => {
          const answer = await readiness(ingress);
          const isDroppedConnection = /terminating connection/.test(
            answer.body.details.postgres?.message ?? '',
          );

          return answer.status === 503 && !isDroppedConnection ? answer : undefined;
        },
        5_000,
        'a readiness report of a read-only Postgres',
      ),
    );

    expect(ready.body.status).toBe('error');
    expect(ready.body.details.postgres).toEqual({
      status: 'down',
      message: 'Postgres takes no writes (transaction_read_only)',
    });
  });

  it('is not ready while Postgres refuses its connections', async () => {
    const ready = await withDatabaseRefused(ingress, () => readiness(ingress));

    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.details.postgres.status).toBe('down');
  });
});
