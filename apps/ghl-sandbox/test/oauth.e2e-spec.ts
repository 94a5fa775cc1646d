import {
  authorize,
  CLIENT_ID,
  control,
  ghl,
  LOCATION_ID,
  locationToken,
  REDIRECT_URI,
  Sandbox,
  startSandbox,
  tokenRequest,
} from './sandbox-harness';

describe('sandbox OAuth', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ SANDBOX_LOCATIONS: `${LOCATION_ID}:20,SMsandboxLocation002:5` });
  });

  afterAll(() => sandbox.close());

  it('consents headlessly and redirects with a code and the state', async () => {
    const redirect = await authorize(sandbox.baseUrl, { state: 'state-123' });

    expect(redirect.origin + redirect.pathname).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('code')).toMatch(/^sbx_code_/);
    expect(redirect.searchParams.get('state')).toBe('state-123');
  });

  it('redirects with access_denied when the user declines', async () => {
    const redirect = await authorize(sandbox.baseUrl, { deny: '1', state: 's' });

    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('code')).toBeNull();
  });

  it('refuses an unknown client at the consent page', async () => {
    const url = new URL('/v2/oauth/chooselocation', sandbox.baseUrl);
    url.searchParams.set('client_id', 'someone-else');
    url.searchParams.set('redirect_uri', REDIRECT_URI);

    const response = await fetch(url, { redirect: 'manual' });

    expect(response.status).toBe(400);
  });

  it('exchanges a code once, then rotates refresh tokens and rejects a reused one', async () => {
    const redirect = await authorize(sandbox.baseUrl);
    const code = redirect.searchParams.get('code') as string;

    const exchange = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    const reusedCode = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    const first = exchange.body.refresh_token as string;
    const refreshed = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first,
    });
    const reused = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: first,
    });
    const second = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token as string,
    });

    expect(exchange.status).toBe(200);
    expect(exchange.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 86399,
      userType: 'Location',
      locationId: LOCATION_ID,
      companyId: 'SMsandboxCompany0001',
    });
    expect(exchange.body.scope).toContain('contacts.readonly');
    expect(reusedCode).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first);
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(second.status).toBe(200);
    const stats = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');
    expect(stats.body.oauth).toMatchObject({ refreshes: 2, refreshRejected: 1 });
  });

  it('refuses a wrong client secret', async () => {
    const answer = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_secret: 'wrong',
    });

    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('honours the accessTokenTtlSeconds knob: a token past it gets 401', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { accessTokenTtlSeconds: 1 });
    const { accessToken } = await locationToken(sandbox.baseUrl);
    await control(sandbox.baseUrl, 'DELETE', '/_sandbox/faults');
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const answer = await ghl(sandbox.baseUrl, accessToken, `/contacts/?locationId=${LOCATION_ID}`);

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('enforces scopes: a read-only token cannot write', async () => {
    const { accessToken } = await locationToken(sandbox.baseUrl, { scope: 'contacts.readonly' });

    const read = await ghl(sandbox.baseUrl, accessToken, `/contacts/?locationId=${LOCATION_ID}`);
    const write = await ghl(sandbox.baseUrl, accessToken, '/contacts/', {
      method: 'POST',
      body: { locationId: LOCATION_ID, firstName: 'Ann' },
    });

    expect(read.status).toBe(200);
    expect(write.status).toBe(401);
    expect(write.body?.message).toContain('contacts.write');
  });

  it('keeps a Location token inside its own location', async () => {
    const { accessToken } = await locationToken(sandbox.baseUrl);

    const other = await ghl(
      sandbox.baseUrl,
      accessToken,
      '/contacts/?locationId=SMsandboxLocation002',
    );

    expect(other.status).toBe(403);
  });

  it('mints Location tokens from an agency token and lists installed locations', async () => {
    const redirect = await authorize(sandbox.baseUrl);
    const company = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      user_type: 'Company',
    });
    const agencyToken = company.body.access_token as string;

    const withoutBody = await ghl(sandbox.baseUrl, agencyToken, '/oauth/locationToken', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: undefined,
    });
    const form = await fetch(new URL('/oauth/locationToken', sandbox.baseUrl), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agencyToken}`,
        version: '2021-07-28',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        companyId: 'SMsandboxCompany0001',
        locationId: 'SMsandboxLocation002',
      }),
    });
    const location = (await form.json()) as Record<string, string>;
    const installed = await ghl(
      sandbox.baseUrl,
      agencyToken,
      `/oauth/installedLocations?companyId=SMsandboxCompany0001&appId=${CLIENT_ID.split('-')[0]}`,
    );
    const contacts = await ghl(
      sandbox.baseUrl,
      location.access_token,
      '/contacts/?locationId=SMsandboxLocation002',
    );

    expect(company.body.userType).toBe('Company');
    expect(withoutBody.status).toBe(400);
    expect(form.status).toBe(200);
    expect(location.locationId).toBe('SMsandboxLocation002');
    expect(installed.body?.count).toBe(2);
    expect(contacts.body?.meta.total).toBe(5);
  });
});
