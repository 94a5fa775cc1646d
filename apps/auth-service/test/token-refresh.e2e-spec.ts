import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection, createDataSource } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { AuthStack } from './support/auth-stack';
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
import { GhlSandbox, storedPair } from './support/ghl-sandbox';

const LOCATION = 'SMrefreshLocation001';

describe('token refresh across replicas (against the sandbox)', () => {
  let stack: AuthStack;
  let db: DataSource;
  let ghl: GhlSandbox;
  let replicas: RunningAuthService[];
  let notifications: Queue;
  const keys = newKey('k1');

  /** Moves the stored access token to one second before expiry: inside the refresh margin. */
  const expireSoon = () =>
    db.query(
      `UPDATE ghl_connection_tokens SET access_token_expires_at = now() + interval '1 second'`,
    );

  beforeAll(async () => {
    stack = await AuthStack.start({ locations: [LOCATION], queueName: 'auth-refresh' });
    ({ db, ghl, replicas } = stack);
    const logLevel = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' };
    await Promise.all([1, 2, 3].map(() => stack.boot(keys, logLevel)));
    notifications = stack.queue(QueueName.Notifications);
    // Opened to be emptied at the end: the refreshes the replicas scheduled.
    stack.queue(QueueName.TokenRefresh);
  });

  afterAll(() => stack.stop());

  beforeEach(async () => {
    await db.query('TRUNCATE ghl_connections, ghl_connection_tokens');
    await ghl.resetFaults();
    expect((await installThroughConsent(replicas[0].url)).status).toBe(200);
  });

  it('200 concurrent requests at expiry, three replicas → one refresh, one new token', async () => {
    const before = await jsonOf(await tokenRequest(replicas[0].url, LOCATION));
    await expireSoon();
    await ghl.faults({ latencyMs: 150 });
    const statsBefore = (await ghl.stats()).oauth;

    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, index) => tokenRequest(replicas[index % 3].url, LOCATION)),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(200));
    const tokens = new Set(
      await Promise.all(answers.map(async (answer) => (await jsonOf(answer)).accessToken)),
    );
    const statsAfter = (await ghl.stats()).oauth;
    expect(statsAfter.refreshes - statsBefore.refreshes).toBe(1);
    expect(statsAfter.refreshRejected).toBe(0);
    expect(tokens.size).toBe(1);
    expect(tokens.has(before.accessToken)).toBe(false);
    expect(await ghl.accepts([...tokens][0], LOCATION)).toBe(true);

    const afterwards = await tokenRequest(replicas[2].url, LOCATION, true);
    expect(afterwards.status).toBe(200);
    expect((await jsonOf(afterwards)).accessToken).not.toBe([...tokens][0]);
    expect((await ghl.stats()).oauth).toMatchObject({
      refreshes: statsBefore.refreshes + 2,
      refreshRejected: 0,
    });
  });

  it('a token GHL expired early → the forced refresh after the 401 gets a good one', async () => {
    await db.query('TRUNCATE ghl_connections, ghl_connection_tokens');
    await ghl.faults({ accessTokenTtlSeconds: 1 });
    expect((await installThroughConsent(replicas[0].url)).status).toBe(200);
    const early = await storedPair(db, keys, LOCATION);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await ghl.resetFaults();

    const refreshed = await tokenRequest(replicas[1].url, LOCATION, true);

    expect(await ghl.accepts(early.accessToken, LOCATION)).toBe(false);
    expect(refreshed.status).toBe(200);
    const { accessToken } = await jsonOf(refreshed);
    expect(accessToken).not.toBe(early.accessToken);
    expect(await ghl.accepts(accessToken, LOCATION)).toBe(true);
  });

  it('a refresh token spent elsewhere → reauth_required, syncs paused, one alert', async () => {
    const stored = await storedPair(db, keys, LOCATION);
    expect((await ghl.refresh(stored.refreshToken ?? '')).status).toBe(200);
    await expireSoon();

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => tokenRequest(replicas[index % 3].url, LOCATION)),
    );

    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([409]));
    expect(await answers[0].json()).toEqual({ error: 'reauth_required' });
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: LOCATION });
    expect(connection.status).toBe('reauth_required');
    const alerts = await notifications.getJobs(['waiting', 'delayed', 'active']);
    expect(alerts.filter((job) => job.name === JobName.AdminAlert).map((job) => job.data)).toEqual([
      expect.objectContaining({
        kind: 'connection-reauth-required',
        locationId: LOCATION,
        dedupeKey: `connection-reauth-required:${LOCATION}:1`,
      }),
    ]);
  });
});

/**
 * The sandbox has no deactivated sub-accounts: GHL's 400 "Location is not active" on a refresh
 * comes from the loopback fake, the one behaviour kept there.
 */
describe('token refresh of a location GHL reports as not active (fake token endpoint)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let fake: FakeGhlOAuth;
  let auth: RunningAuthService;
  let refreshQueue: Queue;
  const prefix = uniqueQueuePrefix('auth-inactive');

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    fake = new FakeGhlOAuth();
    auth = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: prefix,
        ghlBaseUrl: await fake.start(),
        keys: newKey('k1'),
      }),
    );
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    refreshQueue = new Queue(QueueName.TokenRefresh, { connection, prefix });
  });

  afterAll(async () => {
    await auth.app.close();
    await refreshQueue.obliterate({ force: true });
    await refreshQueue.close();
    await Promise.all([fake.stop(), db.destroy()]);
    await database.drop();
  });

  it('→ paused, retried later by a job', async () => {
    expect((await installThroughConsent(auth.url)).status).toBe(200);
    fake.locationInactive = true;

    const answer = await tokenRequest(auth.url, fake.locationId, true);

    expect(answer.status).toBe(409);
    expect(await jsonOf(answer)).toEqual({ error: 'paused' });
    const connection = await db.manager.findOneByOrFail(Connection, {
      locationId: fake.locationId,
    });
    expect(connection.status).toBe('paused');
    const retry = await refreshQueue.getJob(`token-refresh:${fake.locationId}:paused`);
    expect(retry?.opts.attempts).toBeGreaterThan(1);
  });
});
