import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection, createDataSource } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import {
  authEnv,
  jsonOf,
  installThroughConsent,
  newKey,
  RunningAuthService,
  startAuthService,
  tokenRequest,
} from './support/auth-test-kit';
import { FakeGhlOAuth } from './support/fake-ghl-oauth';

describe('token refresh across replicas', () => {
  let database: TestDatabase;
  let db: DataSource;
  let ghl: FakeGhlOAuth;
  let replicas: RunningAuthService[];
  let notifications: Queue;
  let refreshQueue: Queue;
  const prefix = uniqueQueuePrefix('auth-refresh');

  /** Moves the stored access token to one second before expiry: inside the refresh margin. */
  const expireSoon = () =>
    db.query(
      `UPDATE ghl_connection_tokens SET access_token_expires_at = now() + interval '1 second'`,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    ghl = new FakeGhlOAuth();
    const env = authEnv({
      databaseUrl: database.url,
      queuePrefix: prefix,
      ghlBaseUrl: await ghl.start(),
      keys: newKey('k1'),
      extra: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    });
    replicas = await Promise.all([1, 2, 3].map(() => startAuthService(env)));
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    notifications = new Queue(QueueName.Notifications, { connection, prefix });
    refreshQueue = new Queue(QueueName.TokenRefresh, { connection, prefix });
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.app.close()));
    for (const queue of [notifications, refreshQueue]) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.all([ghl.stop(), db.destroy()]);
    await database.drop();
  });

  beforeEach(async () => {
    await db.query('TRUNCATE ghl_connections, ghl_connection_tokens');
    ghl.refreshLatencyMs = 0;
    ghl.locationInactive = false;
    expect((await installThroughConsent(replicas[0].url)).status).toBe(200);
  });

  it('200 concurrent requests at expiry, three replicas → one refresh, one new token', async () => {
    const before = await jsonOf(await tokenRequest(replicas[0].url, ghl.locationId));
    await expireSoon();
    ghl.refreshLatencyMs = 150;
    const refreshesBefore = ghl.stats.refreshes;

    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        tokenRequest(replicas[index % 3].url, ghl.locationId),
      ),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(200));
    const tokens = new Set(
      await Promise.all(answers.map(async (answer) => (await jsonOf(answer)).accessToken)),
    );
    expect(ghl.stats.refreshes - refreshesBefore).toBe(1);
    expect(ghl.stats.refreshRejected).toBe(0);
    expect(tokens.size).toBe(1);
    expect(tokens.has(before.accessToken)).toBe(false);
    expect(ghl.issuedTokens).toContain([...tokens][0]);

    const afterwards = await tokenRequest(replicas[2].url, ghl.locationId, true);
    expect(afterwards.status).toBe(200);
    expect((await jsonOf(afterwards)).accessToken).not.toBe([...tokens][0]);
    expect(ghl.stats.refreshRejected).toBe(0);
  });

  it('a dead refresh token → reauth_required, syncs paused, one admin alert', async () => {
    ghl.revokeAll();
    await expireSoon();

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        tokenRequest(replicas[index % 3].url, ghl.locationId),
      ),
    );

    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([409]));
    expect(await answers[0].json()).toEqual({ error: 'reauth_required' });
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: ghl.locationId });
    expect(connection.status).toBe('reauth_required');
    const alerts = await notifications.getJobs(['waiting', 'delayed', 'active']);
    expect(alerts.filter((job) => job.name === JobName.AdminAlert).map((job) => job.data)).toEqual([
      expect.objectContaining({
        kind: 'connection-reauth-required',
        locationId: ghl.locationId,
        dedupeKey: `connection-reauth-required:${ghl.locationId}:1`,
      }),
    ]);
  });

  it('a location GHL reports as not active → paused, retried later by a job', async () => {
    ghl.locationInactive = true;
    await expireSoon();

    const answer = await tokenRequest(replicas[1].url, ghl.locationId);

    expect(answer.status).toBe(409);
    expect(await jsonOf(answer)).toEqual({ error: 'paused' });
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: ghl.locationId });
    expect(connection.status).toBe('paused');
    const retry = await refreshQueue.getJob(`token-refresh:${ghl.locationId}:paused`);
    expect(retry?.opts.attempts).toBeGreaterThan(1);
  });
});
