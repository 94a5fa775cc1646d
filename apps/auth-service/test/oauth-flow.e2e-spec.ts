import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection, ConnectionToken, createDataSource } from '@sm/entities';
import { assertScope, CONTACTS_WRITE_SCOPE, MissingScopeError } from '@sm/ghl-client';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import {
  authEnv,
  jsonOf,
  installThroughConsent,
  newKey,
  RunningAuthService,
  startAuthService,
  startInstall,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox, SANDBOX_APP } from './support/ghl-sandbox';

/** Read-only by default: no write scope unless a write feature is switched on. */
const EXPECTED_READ_SCOPES = [
  'contacts.readonly',
  'locations.readonly',
  'locations/customFields.readonly',
  'locations/tasks.readonly',
];

const LOCATION = 'SMoauthFlowLocation1';

describe('OAuth install flow', () => {
  let database: TestDatabase;
  let db: DataSource;
  let ghl: GhlSandbox;
  let auth: RunningAuthService;
  let syncQueue: Queue;
  let refreshQueue: Queue;
  const prefix = uniqueQueuePrefix('auth-oauth');
  let writeEnabled: RunningAuthService | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    ghl = await GhlSandbox.start([LOCATION]);
    auth = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: prefix,
        ghlBaseUrl: ghl.url,
        keys: newKey('k1'),
        extra: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
      }),
    );
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    syncQueue = new Queue(QueueName.LocationSync, { connection, prefix });
    refreshQueue = new Queue(QueueName.TokenRefresh, { connection, prefix });
  });

  afterAll(async () => {
    await Promise.all([auth.app.close(), writeEnabled?.app.close()]);
    await Promise.all([
      syncQueue.obliterate({ force: true }),
      refreshQueue.obliterate({ force: true }),
    ]);
    await Promise.all([syncQueue.close(), refreshQueue.close(), ghl.stop(), db.destroy()]);
    await database.drop();
  });

  afterEach(async () => {
    await db.query('TRUNCATE ghl_connections, ghl_connection_tokens');
  });

  it('redirects to the authorize URL with least-privilege scopes and a signed state', async () => {
    const response = await fetch(`${auth.url}/oauth/install`, { redirect: 'manual' });

    const location = new URL(response.headers.get('location') ?? '');
    expect(response.status).toBe(302);
    expect(`${location.origin}${location.pathname}`).toBe(`${ghl.url}/v2/oauth/chooselocation`);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(SANDBOX_APP.clientId);
    expect(location.searchParams.get('redirect_uri')).toBe(auth.config.GHL_REDIRECT_URI);
    expect(location.searchParams.get('scope')?.split(' ')).toEqual(EXPECTED_READ_SCOPES);
    expect(location.searchParams.get('state')).toMatch(/^[\w-]+\.\d+\.[\w-]+$/);
  });

  it('connects a location: tokens sealed, refresh scheduled, first full sync queued', async () => {
    const response = await installThroughConsent(auth.url);

    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({
      connected: true,
      locationId: LOCATION,
      scopes: EXPECTED_READ_SCOPES,
    });
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: LOCATION });
    const token = await db.manager.findOneByOrFail(ConnectionToken, { locationId: LOCATION });
    expect(connection.status).toBe('active');
    expect(token.keyId).toBe('k1');
    // The sandbox's tokens read sbx_at_… and sbx_rt_…: none may be stored in the clear.
    expect(JSON.stringify(token)).not.toContain('sbx_');
    const syncJobs = await syncQueue.getJobs(['waiting', 'delayed']);
    expect(syncJobs.map((job) => [job.name, job.data])).toContainEqual([
      JobName.SyncLocation,
      { locationId: LOCATION, trigger: 'install' },
    ]);
    const refreshJobs = await refreshQueue.getJobs(['delayed']);
    expect(refreshJobs.map((job) => job.data)).toContainEqual({ locationId: LOCATION });
  });

  it('answers a browser with a short HTML page', async () => {
    const response = await installThroughConsent(auth.url, { json: false });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('is connected');
  });

  it('hands the stored token to the sync workers only with the service credential', async () => {
    await installThroughConsent(auth.url);

    const granted = await tokenRequest(auth.url, LOCATION);
    const refused = await fetch(`${auth.url}/internal/locations/${LOCATION}/access-token`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-service-token' },
    });

    expect(granted.status).toBe(200);
    const body = await jsonOf(granted);
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresAt', 'locationId', 'scopes']);
    expect(await ghl.accepts(body.accessToken, LOCATION)).toBe(true);
    expect(refused.status).toBe(401);
    expect((await tokenRequest(auth.url, 'LocUnknown')).status).toBe(404);
  });

  describe('refusals leave nothing stored', () => {
    const expectNothingStored = async () => {
      expect(await db.manager.count(Connection)).toBe(0);
      expect(await db.manager.count(ConnectionToken)).toBe(0);
    };

    it('denied consent → 400 access_denied', async () => {
      const response = await installThroughConsent(auth.url, { deny: true });

      expect(response.status).toBe(400);
      expect(await jsonOf(response)).toMatchObject({ error: 'access_denied' });
      await expectNothingStored();
    });

    it('a forged, a missing and an expired state → 400', async () => {
      const { state, cookie } = await startInstall(auth.url);
      const [nonce, , signature] = state.split('.');
      const exchangesBefore = (await ghl.stats()).oauth.codeExchanges;
      const expired = `${nonce}.${Date.now() - 1}.${signature}`;

      const answers = await Promise.all(
        [`code=x&state=${state}x`, 'code=x', `code=x&state=${expired}`].map((query) =>
          fetch(`${auth.url}/oauth/callback?${query}`, {
            headers: { accept: 'application/json', cookie },
          }),
        ),
      );

      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
      expect(
        await Promise.all(answers.map(async (answer) => (await jsonOf(answer)).error)),
      ).toEqual(['state_forged', 'state_missing', 'state_forged']);
      expect((await ghl.stats()).oauth.codeExchanges).toBe(exchangesBefore);
      await expectNothingStored();
    });

    it('a reused state → 400 state_reused, a bad code → 400 invalid_code', async () => {
      const { state, cookie } = await startInstall(auth.url);
      const callback = (code: string) =>
        fetch(`${auth.url}/oauth/callback?code=${code}&state=${encodeURIComponent(state)}`, {
          headers: { accept: 'application/json', cookie },
        });

      const badCode = await callback('not-a-code');
      const reused = await callback('not-a-code');

      expect(badCode.status).toBe(400);
      expect((await jsonOf(badCode)).error).toBe('invalid_code');
      expect(reused.status).toBe(400);
      expect((await jsonOf(reused)).error).toBe('state_reused');
      await expectNothingStored();
    });
  });

  describe('the state is bound to the browser that started the install', () => {
    /** An install walked to GHL's redirect back: the callback link, not yet opened. */
    const consentedCallback = async () => {
      const started = await startInstall(auth.url);
      started.consent.searchParams.set('locationId', LOCATION);
      const back = await fetch(started.consent, { redirect: 'manual' });
      const link = new URL(back.headers.get('location') ?? '');

      return { ...started, link: `${auth.url}${link.pathname}${link.search}` };
    };
    const expectNothingExchanged = async (exchangesBefore: number) => {
      expect((await ghl.stats()).oauth.codeExchanges).toBe(exchangesBefore);
      expect(await db.manager.count(Connection)).toBe(0);
      expect(await db.manager.count(ConnectionToken)).toBe(0);
    };

    it('/oauth/install sets the state as a short-lived HttpOnly SameSite=Lax cookie', async () => {
      const { state, setCookie } = await startInstall(auth.url);

      expect(setCookie).toHaveLength(1);
      const [pair, ...attributes] = setCookie[0].split('; ');
      expect(pair).toBe(`ghl_oauth_state=${state}`);
      expect(attributes).toEqual(
        expect.arrayContaining(['Max-Age=600', 'Path=/oauth/callback', 'HttpOnly', 'SameSite=Lax']),
      );
      // The test's redirect URI is http; an https one gets `Secure`.
      expect(attributes).not.toContain('Secure');
    });

    it("an attacker's callback link opened without its cookie → 400 state_unbound", async () => {
      const attackers = await consentedCallback();
      const exchangesBefore = (await ghl.stats()).oauth.codeExchanges;

      const inVictimsBrowser = await fetch(attackers.link, {
        headers: { accept: 'application/json' },
      });
      const asPage = await fetch(attackers.link, { headers: { accept: 'text/html' } });

      expect(inVictimsBrowser.status).toBe(400);
      expect(await jsonOf(inVictimsBrowser)).toEqual({
        error: 'state_unbound',
        message: expect.stringContaining('not started in this browser'),
      });
      expect(asPage.status).toBe(400);
      expect(await asPage.text()).toContain('not started in this browser');
      await expectNothingExchanged(exchangesBefore);
    });

    it("a callback carrying another install's cookie → 400 state_unbound", async () => {
      const attackers = await consentedCallback();
      const victims = await startInstall(auth.url);
      const exchangesBefore = (await ghl.stats()).oauth.codeExchanges;

      const answer = await fetch(attackers.link, {
        headers: { accept: 'application/json', cookie: victims.cookie },
      });

      expect(answer.status).toBe(400);
      expect((await jsonOf(answer)).error).toBe('state_unbound');
      // The victim's own cookie is left for the victim's own callback.
      expect(answer.headers.getSetCookie()).toEqual([]);
      await expectNothingExchanged(exchangesBefore);
    });

    it('the browser that started the install completes it, and its cookie is cleared', async () => {
      const own = await consentedCallback();

      const answer = await fetch(own.link, {
        headers: { accept: 'application/json', cookie: own.cookie },
      });

      expect(answer.status).toBe(200);
      expect(await jsonOf(answer)).toMatchObject({ connected: true, locationId: LOCATION });
      const [cleared] = answer.headers.getSetCookie();
      expect(cleared).toMatch(
        /^ghl_oauth_state=; Path=\/oauth\/callback; Expires=Thu, 01 Jan 1970/,
      );
    });
  });

  describe('write scopes', () => {
    it('a write on a read-only connection is refused before any call to GHL', async () => {
      await installThroughConsent(auth.url);
      const token = await jsonOf(await tokenRequest(auth.url, LOCATION));
      const requestsBefore = (await ghl.stats()).requests.total;

      const write = () =>
        assertScope(token.scopes as string[], CONTACTS_WRITE_SCOPE, 'createContact', LOCATION);

      expect(token.scopes).toEqual(EXPECTED_READ_SCOPES);
      expect(write).toThrow(MissingScopeError);
      expect(write).toThrow(/createContact needs the GHL scope contacts.write/);
      expect((await ghl.stats()).requests.total).toBe(requestsBefore);
      // GHL itself would refuse it: the check only saves the call and its rate budget.
      const refusedByGhl = await fetch(`${ghl.url}/contacts/`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token.accessToken}`,
          version: '2021-07-28',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ locationId: LOCATION, firstName: 'Scope', lastName: 'Check' }),
      });
      expect(refusedByGhl.status).toBe(401);
      expect(await refusedByGhl.text()).toContain('contacts.write');
    });

    it('with write features on, installs ask for contacts.write; the check passes', async () => {
      writeEnabled = await startAuthService({
        ...authEnv({
          databaseUrl: database.url,
          queuePrefix: prefix,
          ghlBaseUrl: ghl.url,
          keys: newKey('k1'),
        }),
        GHL_WRITE_FEATURES: 'true',
      });

      await installThroughConsent(writeEnabled.url);
      const token = await jsonOf(await tokenRequest(writeEnabled.url, LOCATION));

      expect(token.scopes).toContain(CONTACTS_WRITE_SCOPE);
      expect(() =>
        assertScope(token.scopes as string[], CONTACTS_WRITE_SCOPE, 'createContact', LOCATION),
      ).not.toThrow();
    });
  });
});
