import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { TEST_POSTGRES_URL, eventually, PrivateRedis } from '@sm/testing';

import { IngressHarness } from './support/ingress-harness';

function delivery(): string {
  return JSON.stringify({
    type: 'ContactUpdate',
    locationId: 'loc-durable',
    id: `contact-${randomUUID()}`,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
  });
}

describe('webhook-ingress durability', () => {
  const redis = new PrivateRedis();
  const ingress = new IngressHarness();

  beforeAll(async () => {
    await redis.start();
    await ingress.start({
      REDIS_URL: redis.url,
      WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
      WEBHOOK_SWEEP_AGE_SECONDS: '1',
    });
  });
  afterAll(async () => {
    await ingress.stop();
    await redis.stop();
  });

  it('re-enqueues a delivery accepted and then lost from Redis (FLUSHALL)', async () => {
    const answer = await ingress.postSigned(delivery());
    const inboxId = String(answer.body.id);
    await eventually(() => ingress.jobFor(inboxId), 5_000, 'first job');

    await redis.run((client) => client.flushall());
    expect(await ingress.jobFor(inboxId)).toBeUndefined();

    const requeued = await eventually(() => ingress.jobFor(inboxId), 10_000, 'swept job');
    expect(requeued.job.data).toMatchObject({ inboxId, locationId: 'loc-durable' });
  });

  it('answers 200 while Redis is down, and queues the delivery once Redis is back', async () => {
    await redis.stop();

    const startedAt = Date.now();
    const answer = await ingress.postSigned(delivery());

    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('accepted');
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    const inboxId = String(answer.body.id);
    expect(await ingress.row(inboxId)).toMatchObject({ status: 'received' });

    await redis.start();
    const swept = await eventually(() => ingress.jobFor(inboxId), 20_000, 'job after outage');
    expect(swept.job.data.inboxId).toBe(inboxId);
  });

  it('answers 429 (GHL retries it) while Postgres cannot record, and stores nothing', async () => {
    const databaseName = new URL(ingress.database.url).pathname.slice(1);
    const admin = await new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL }).initialize();
    const body = delivery();
    try {
      await admin.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [databaseName],
      );

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(429);
      expect(answer.body).toMatchObject({ error: 'inbox_unavailable' });
      expect(answer.headers.get('retry-after')).toBe('60');
    } finally {
      await admin.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS true`);
      await admin.destroy();
    }
    await ingress.reconnectProbe();
    const webhookId = (JSON.parse(body) as { webhookId: string }).webhookId;
    expect(await ingress.rowsWithWebhookId(webhookId)).toHaveLength(0);

    const retried = await ingress.postSigned(body);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('accepted');
  });
});
