import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection, ConnectionToken, createDataSource, WebhookDelivery } from '@sm/entities';
import { JobKey, JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import {
  createTestDatabase,
  eventually,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import {
  authEnv,
  installThroughConsent,
  jsonOf,
  newKey,
  RunningAuthService,
  SERVICE_TOKEN,
  startAuthService,
  tokenRequest,
} from './support/auth-test-kit';
import { FakeGhlOAuth } from './support/fake-ghl-oauth';

describe('connection events and private tokens', () => {
  let database: TestDatabase;
  let db: DataSource;
  let ghl: FakeGhlOAuth;
  let auth: RunningAuthService;
  let events: Queue;
  let syncQueue: Queue;
  const prefix = uniqueQueuePrefix('auth-events');

  const deliver = async (name: string, locationId: string | null, companyId: string) => {
    const delivery = await db.manager.save(WebhookDelivery, {
      dedupeKey: `${name}-${locationId}-${Date.now()}`,
      eventType: name === JobName.AppInstalled ? 'INSTALL' : 'UNINSTALL',
      locationId,
      payload: { locationId, companyId },
      signatureScheme: 'ed25519',
    });
    await events.add(name, { inboxId: delivery.id, locationId, companyId });

    return eventually(async () => {
      const row = await db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });

      return row.status === 'received' ? undefined : row;
    });
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    ghl = new FakeGhlOAuth();
    auth = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: prefix,
        ghlBaseUrl: await ghl.start(),
        keys: newKey('k1'),
      }),
    );
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    events = new Queue(QueueName.ConnectionEvents, { connection, prefix });
    syncQueue = new Queue(QueueName.LocationSync, { connection, prefix });
  });

  afterAll(async () => {
    await auth.app.close();
    for (const queue of [events, syncQueue]) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.all([ghl.stop(), db.destroy()]);
    await database.drop();
  });

  it('INSTALL under a connected agency mints a location token, queues a first sync', async () => {
    ghl.grantCompany = true;
    expect((await installThroughConsent(auth.url)).status).toBe(200);
    ghl.grantCompany = false;

    const delivery = await deliver(JobName.AppInstalled, 'LocFromAgency01', ghl.companyId);

    expect(delivery.status).toBe('processed');
    expect(ghl.stats.locationTokens).toBe(1);
    const answer = await tokenRequest(auth.url, 'LocFromAgency01');
    expect(answer.status).toBe(200);
    expect((await jsonOf(answer)).accessToken).toMatch(/^at-min-/);
    const syncs = await syncQueue.getJobs(['waiting']);
    expect(syncs.map((job) => job.data)).toContainEqual({
      locationId: 'LocFromAgency01',
      trigger: 'install',
    });
  });

  it('UNINSTALL deletes the tokens, marks the connection and removes its schedules', async () => {
    ghl.locationId = 'LocToUninstall1';
    expect((await installThroughConsent(auth.url)).status).toBe(200);
    await syncQueue.upsertJobScheduler(
      JobKey.nightlySync(ghl.locationId),
      { pattern: '0 0 * * *' },
      { name: JobName.SyncLocation, data: { locationId: ghl.locationId, trigger: 'nightly' } },
    );

    const delivery = await deliver(JobName.AppUninstalled, ghl.locationId, ghl.companyId);

    expect(delivery.status).toBe('processed');
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: ghl.locationId });
    expect(connection.status).toBe('uninstalled');
    expect(await db.manager.countBy(ConnectionToken, { locationId: ghl.locationId })).toBe(0);
    expect(await syncQueue.getJobScheduler(JobKey.nightlySync(ghl.locationId))).toBeUndefined();
    expect((await tokenRequest(auth.url, ghl.locationId)).status).toBe(404);
  });

  it('stores a Private Integration Token; the listing shows no token material', async () => {
    const stored = await fetch(`${auth.url}/internal/locations/LocWithPit0001/private-token`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'pit-secret-value-123', scopes: ['contacts.readonly'] }),
    });
    const answer = await tokenRequest(auth.url, 'LocWithPit0001');
    const listed = await fetch(`${auth.url}/connections`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });

    expect(stored.status).toBe(204);
    expect((await jsonOf(answer)).accessToken).toBe('pit-secret-value-123');
    const listing = await listed.text();
    expect(listing).toContain('LocWithPit0001');
    expect(listing).not.toContain('pit-secret-value-123');
    for (const issued of ghl.issuedTokens) expect(listing).not.toContain(issued);
  });
});
