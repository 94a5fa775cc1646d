import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';

import { Connection, ConnectionToken, WebhookDelivery } from '@sm/entities';
import { JobKey, JobName, QueueName } from '@sm/queues';
import { eventually } from '@sm/testing';

import { AuthStack } from './support/auth-stack';
import {
  installThroughConsent,
  jsonOf,
  newKey,
  RunningAuthService,
  SERVICE_TOKEN,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox, SANDBOX_APP, SANDBOX_COMPANY_ID } from './support/ghl-sandbox';

const AGENCY_LOCATIONS = ['SMagencyLocationA001', 'SMagencyLocationB001', 'SMagencyLocationC001'];
const [LOC_A, LOC_B, LOC_C] = AGENCY_LOCATIONS;
const LOC_UNINSTALL = 'SMuninstallLocation1';
const LOC_PIT = 'SMprivateTokenLoc001';
const LOC_PIT_REFUSED = 'SMprivateTokenBad001';
const LOC_OTHER_APP = 'SMotherAppEventLoc01';
/** Ours, as GHL names it in the events: the client id's part before `-`. */
const OUR_APP_ID = SANDBOX_APP.clientId.split('-')[0];
const OTHER_APP_ID = 'someOtherMarketplaceApp';
/** A body without `appId`: JSON drops the undefined field. */
const NO_APP_ID = { appId: undefined };

const eventTypeOf = (name: string) => (name === JobName.AppInstalled ? 'INSTALL' : 'UNINSTALL');

describe('connection events, agency installs and private tokens (against the sandbox)', () => {
  let stack: AuthStack;
  let db: DataSource;
  let ghl: GhlSandbox;
  let auth: RunningAuthService;
  let agencyAuth: RunningAuthService;
  let events: Queue;
  let syncQueue: Queue;

  const deliver = async (
    name: string,
    ids: { locationId?: string; companyId: string },
    extra: Record<string, unknown> = {},
  ) => {
    const locationId = ids.locationId ?? null;
    const delivery = await db.manager.save(WebhookDelivery, {
      dedupeKey: `${name}-${locationId}-${Date.now()}-${Math.random()}`,
      eventType: eventTypeOf(name),
      locationId,
      payload: { type: eventTypeOf(name), appId: OUR_APP_ID, ...ids, ...extra },
      signatureScheme: 'ed25519',
    });
    const job = await events.add(name, {
      inboxId: delivery.id,
      locationId,
      companyId: ids.companyId,
    });
    const row = await eventually(async () => {
      const seen = await db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });

      return seen.status === 'received' ? undefined : seen;
    });
    await eventually(async () => ((await job.isCompleted()) ? true : undefined));

    const finished = await events.getJob(job.id ?? '');

    return { status: row.status, attemptsMade: finished?.attemptsMade };
  };
  const connectionOf = (locationId: string) =>
    db.manager.findOneByOrFail(Connection, { locationId });
  const agencyConnections = async () =>
    (
      await db.manager.find(Connection, {
        where: { locationId: In(AGENCY_LOCATIONS), credentialKind: 'agency', status: 'active' },
        order: { locationId: 'ASC' },
      })
    ).map((connection) => connection.locationId);
  const forgetAgencyLocations = async () => {
    await db.manager.delete(ConnectionToken, { locationId: In(AGENCY_LOCATIONS) });
    await db.manager.delete(Connection, { locationId: In(AGENCY_LOCATIONS) });
    await syncQueue.drain();
  };
  const queuedFirstSyncs = async () =>
    (await syncQueue.getJobs(['waiting']))
      .filter((job) => job.data.trigger === 'install')
      .map((job) => job.data.locationId as string)
      .sort();

  beforeAll(async () => {
    stack = await AuthStack.start({
      locations: [...AGENCY_LOCATIONS, LOC_UNINSTALL, LOC_PIT, LOC_OTHER_APP],
      queueName: 'auth-events',
    });
    ({ db, ghl } = stack);
    const keys = newKey('k1');
    [auth, agencyAuth] = await Promise.all([
      stack.boot(keys),
      stack.boot(keys, { GHL_INSTALL_USER_TYPE: 'Company' }),
    ]);
    events = stack.queue(QueueName.ConnectionEvents);
    syncQueue = stack.queue(QueueName.LocationSync);
  });

  afterAll(() => stack.stop());

  it('UNINSTALL deletes the tokens, marks the connection and removes its schedules', async () => {
    const install = await installThroughConsent(auth.url, { locationId: LOC_UNINSTALL });
    expect(install.status).toBe(200);
    await syncQueue.upsertJobScheduler(
      JobKey.nightlySync(LOC_UNINSTALL),
      { pattern: '0 0 * * *' },
      { name: JobName.SyncLocation, data: { locationId: LOC_UNINSTALL, trigger: 'nightly' } },
    );
    await syncQueue.upsertJobScheduler(
      JobKey.taskSweep(LOC_UNINSTALL),
      { pattern: '0 * * * *' },
      { name: JobName.SweepTasks, data: { locationId: LOC_UNINSTALL } },
    );

    const delivery = await deliver(JobName.AppUninstalled, {
      locationId: LOC_UNINSTALL,
      companyId: SANDBOX_COMPANY_ID,
    });

    expect(delivery.status).toBe('processed');
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: LOC_UNINSTALL });
    expect(connection.status).toBe('uninstalled');
    expect(await db.manager.countBy(ConnectionToken, { locationId: LOC_UNINSTALL })).toBe(0);
    expect(await syncQueue.getJobScheduler(JobKey.nightlySync(LOC_UNINSTALL))).toBeUndefined();
    expect(await syncQueue.getJobScheduler(JobKey.taskSweep(LOC_UNINSTALL))).toBeUndefined();
    expect((await tokenRequest(auth.url, LOC_UNINSTALL)).status).toBe(404);
  });

  describe("another app's events (GHL signs every app's webhooks with the same key)", () => {
    const expectStillConnected = async () => {
      expect((await connectionOf(LOC_OTHER_APP)).status).toBe('active');
      expect(await db.manager.countBy(ConnectionToken, { locationId: LOC_OTHER_APP })).toBe(1);
      const answer = await tokenRequest(auth.url, LOC_OTHER_APP);
      expect(answer.status).toBe(200);
      expect(await ghl.accepts((await jsonOf(answer)).accessToken, LOC_OTHER_APP)).toBe(true);
    };

    beforeAll(async () => {
      const install = await installThroughConsent(auth.url, { locationId: LOC_OTHER_APP });
      expect(install.status).toBe(200);
    });

    it('an UNINSTALL naming another appId changes nothing; the job completes at once', async () => {
      const delivery = await deliver(
        JobName.AppUninstalled,
        { locationId: LOC_OTHER_APP, companyId: SANDBOX_COMPANY_ID },
        { appId: OTHER_APP_ID },
      );

      expect(delivery).toEqual({ status: 'ignored', attemptsMade: 1 });
      await expectStillConnected();
    });

    it('an UNINSTALL naming no appId is ignored too (GHL documents none without one)', async () => {
      const delivery = await deliver(
        JobName.AppUninstalled,
        { locationId: LOC_OTHER_APP, companyId: SANDBOX_COMPANY_ID },
        NO_APP_ID,
      );

      expect(delivery).toEqual({ status: 'ignored', attemptsMade: 1 });
      await expectStillConnected();
    });

    it('an UNINSTALL naming our appId still uninstalls', async () => {
      const delivery = await deliver(JobName.AppUninstalled, {
        locationId: LOC_OTHER_APP,
        companyId: SANDBOX_COMPANY_ID,
      });

      expect(delivery.status).toBe('processed');
      expect((await connectionOf(LOC_OTHER_APP)).status).toBe('uninstalled');
      expect((await tokenRequest(auth.url, LOC_OTHER_APP)).status).toBe(404);
    });
  });

  it('refuses a private-token body it would have to guess at: 400 naming the field', async () => {
    const put = (body: unknown) =>
      fetch(`${auth.url}/internal/locations/${LOC_PIT_REFUSED}/private-token`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const token = 'pit-0123456789abcdef';
    const cases: Array<[unknown, string]> = [
      [{ token, scopes: 'contacts.write' }, 'scopes: must be an array of scope names'],
      [{ token, scopes: ['contacts.write', 7] }, 'scopes.1: must be scope names'],
      [{ token, scope: ['contacts.write'] }, 'scope: unknown field'],
      [{ token: 12345678 }, 'token: must be a string'],
      [[token], 'body: must be a JSON object'],
    ];

    for (const [body, problem] of cases) {
      const answer = await put(body);

      expect([answer.status, await answer.json()]).toEqual([
        400,
        { error: 'invalid_request', message: expect.stringContaining(problem) },
      ]);
    }
    expect(await db.manager.countBy(Connection, { locationId: LOC_PIT_REFUSED })).toBe(0);
  });

  it('serves a Private Integration Token GHL takes; the listing shows no token', async () => {
    const pit = await ghl.locationAccessToken(LOC_PIT);

    const stored = await fetch(`${auth.url}/internal/locations/${LOC_PIT}/private-token`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: pit, scopes: ['contacts.readonly'] }),
    });
    const answer = await jsonOf(await tokenRequest(auth.url, LOC_PIT));
    const listed = await fetch(`${auth.url}/connections`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });

    expect(stored.status).toBe(204);
    expect(answer).toMatchObject({ accessToken: pit, scopes: ['contacts.readonly'] });
    expect(await ghl.accepts(answer.accessToken, LOC_PIT)).toBe(true);
    const listing = await listed.text();
    expect(listing).toContain(LOC_PIT);
    expect(listing).not.toContain(pit);
    expect(listing).not.toContain('sbx_');
  });

  it('a Private Integration Token GHL refused → reauth_required until one is stored', async () => {
    const refused = await tokenRequest(auth.url, LOC_PIT, true);

    expect(refused.status).toBe(409);
    expect(await jsonOf(refused)).toEqual({ error: 'reauth_required' });
  });

  describe('agency installs', () => {
    it('an agency OAuth install mints a token per approved location, each to sync', async () => {
      await syncQueue.drain();

      const response = await installThroughConsent(agencyAuth.url);

      expect(response.status).toBe(200);
      const body = await jsonOf(response);
      expect(body).toMatchObject({ userType: 'Company', locationId: SANDBOX_COMPANY_ID });
      expect(body.locations).toEqual(expect.arrayContaining(AGENCY_LOCATIONS));
      expect(await agencyConnections()).toEqual(AGENCY_LOCATIONS);
      expect(await queuedFirstSyncs()).toEqual(expect.arrayContaining(AGENCY_LOCATIONS));
      for (const locationId of AGENCY_LOCATIONS) {
        const answer = await tokenRequest(auth.url, locationId);
        expect(answer.status).toBe(200);
        expect(await ghl.accepts((await jsonOf(answer)).accessToken, locationId)).toBe(true);
      }
      expect((await tokenRequest(auth.url, SANDBOX_COMPANY_ID)).status).toBe(404);
    });

    it("another app's INSTALL, or one naming no app, mints no location token", async () => {
      await forgetAgencyLocations();

      const deliveries = [
        await deliver(
          JobName.AppInstalled,
          { companyId: SANDBOX_COMPANY_ID },
          { appId: OTHER_APP_ID },
        ),
        await deliver(
          JobName.AppInstalled,
          { locationId: LOC_A, companyId: SANDBOX_COMPANY_ID },
          { appId: OTHER_APP_ID },
        ),
        await deliver(
          JobName.AppInstalled,
          { locationId: LOC_B, companyId: SANDBOX_COMPANY_ID },
          NO_APP_ID,
        ),
      ];

      expect(deliveries).toEqual(deliveries.map(() => ({ status: 'ignored', attemptsMade: 1 })));
      expect(await agencyConnections()).toEqual([]);
      expect(await queuedFirstSyncs()).toEqual([]);
      expect((await tokenRequest(auth.url, LOC_A)).status).toBe(404);
    });

    it('an agency INSTALL event naming no location → every installed location', async () => {
      await forgetAgencyLocations();

      const delivery = await deliver(JobName.AppInstalled, { companyId: SANDBOX_COMPANY_ID });

      expect(delivery.status).toBe('processed');
      expect(await agencyConnections()).toEqual(AGENCY_LOCATIONS);
      expect(await queuedFirstSyncs()).toEqual(expect.arrayContaining(AGENCY_LOCATIONS));
    });

    it('a bulk INSTALL with approvedLocations → a token for exactly those', async () => {
      await forgetAgencyLocations();

      const delivery = await deliver(
        JobName.AppInstalled,
        { companyId: SANDBOX_COMPANY_ID },
        { isBulkInstallation: true, approvedLocations: [LOC_A, LOC_C] },
      );

      expect(delivery.status).toBe('processed');
      expect(await agencyConnections()).toEqual([LOC_A, LOC_C]);
      expect(await queuedFirstSyncs()).toEqual([LOC_A, LOC_C]);
    });

    it('INSTALL of one location under the agency mints its token once', async () => {
      const first = await deliver(JobName.AppInstalled, {
        locationId: LOC_B,
        companyId: SANDBOX_COMPANY_ID,
      });
      const again = await deliver(JobName.AppInstalled, {
        locationId: LOC_B,
        companyId: SANDBOX_COMPANY_ID,
      });

      expect([first.status, again.status]).toEqual(['processed', 'ignored']);
      expect(await agencyConnections()).toEqual(AGENCY_LOCATIONS);
      const answer = await jsonOf(await tokenRequest(auth.url, LOC_B));
      expect(await ghl.accepts(answer.accessToken, LOC_B)).toBe(true);
    });

    it("another app's agency-level UNINSTALL leaves the agency and its locations", async () => {
      const delivery = await deliver(
        JobName.AppUninstalled,
        { companyId: SANDBOX_COMPANY_ID },
        { appId: OTHER_APP_ID },
      );

      expect(delivery.status).toBe('ignored');
      expect(await agencyConnections()).toEqual(AGENCY_LOCATIONS);
      const agency = await connectionOf(SANDBOX_COMPANY_ID);
      expect(agency.status).toBe('active');
      expect((await tokenRequest(auth.url, LOC_A)).status).toBe(200);
    });

    it('an agency-level UNINSTALL uninstalls the agency and its minted locations', async () => {
      expect(await agencyConnections()).toEqual(AGENCY_LOCATIONS);
      // A location of the agency connected on its own, with a Private Integration Token.
      const stored = await fetch(`${auth.url}/internal/locations/${LOC_PIT}/private-token`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: await ghl.locationAccessToken(LOC_PIT), scopes: [] }),
      });
      expect(stored.status).toBe(204);

      const delivery = await deliver(JobName.AppUninstalled, { companyId: SANDBOX_COMPANY_ID });

      expect(delivery.status).toBe('processed');
      const owners = [SANDBOX_COMPANY_ID, ...AGENCY_LOCATIONS];
      const rows = await db.manager.findBy(Connection, { locationId: In(owners) });
      expect(rows.map((row) => row.status)).toEqual(owners.map(() => 'uninstalled'));
      expect(await db.manager.countBy(ConnectionToken, { locationId: In(owners) })).toBe(0);
      for (const locationId of AGENCY_LOCATIONS) {
        expect((await tokenRequest(auth.url, locationId)).status).toBe(404);
      }
      expect((await tokenRequest(auth.url, LOC_PIT)).status).toBe(200);
    });
  });
});
