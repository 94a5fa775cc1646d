import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import {
  authEnv,
  installThroughConsent,
  newKey,
  SERVICE_TOKEN,
  tokenRequest,
} from './support/auth-test-kit';
import { FakeGhlOAuth } from './support/fake-ghl-oauth';

describe('token secrecy (a real auth-service process, logging at trace)', () => {
  let database: TestDatabase;
  let ghl: FakeGhlOAuth;
  let service: ServiceProcess;
  let url: string;
  const responses: string[] = [];
  const env = { keys: newKey('k1') };

  beforeAll(async () => {
    database = await createTestDatabase();
    ghl = new FakeGhlOAuth();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startServiceProcess({
      entry: 'apps/auth-service/src/main.ts',
      env: authEnv({
        databaseUrl: database.url,
        queuePrefix: uniqueQueuePrefix('auth-secrecy'),
        ghlBaseUrl: await ghl.start(),
        keys: env.keys,
        extra: { PORT: String(port), LOG_LEVEL: 'trace' },
      }),
      readyUrl: `${url}/health/live`,
    });

    const install = await installThroughConsent(url);
    responses.push(await install.text());
    ghl.revokeAll();
    const forged = await fetch(`${url}/oauth/callback?code=leaked-code-1&state=a.1.b`);
    responses.push(await forged.text());
    const refused = await tokenRequest(url, ghl.locationId, true);
    responses.push(await refused.text());
    const listed = await fetch(`${url}/connections`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    responses.push(await listed.text());
  });

  afterAll(async () => {
    await service.stop();
    await ghl.stop();
    await database.drop();
  });

  it('writes structured logs that carry the location id', () => {
    expect(service.output()).toContain(`"locationId":"${ghl.locationId}"`);
  });

  it('never writes a code, token, key or secret to the log', () => {
    const output = service.output();

    for (const secret of [
      ...ghl.issuedTokens,
      'leaked-code-1',
      SERVICE_TOKEN,
      ghl.clientSecret,
      env.keys.split(':')[1],
    ]) {
      expect(output).not.toContain(secret);
    }
  });

  it('answers the callback, errors and the connection list without any token', () => {
    expect(responses[0]).toContain(ghl.locationId);
    expect(responses[2]).toContain('reauth_required');
    expect(JSON.parse(responses[3]).connections).toHaveLength(1);
    for (const issued of ghl.issuedTokens) {
      for (const body of responses) expect(body).not.toContain(issued);
    }
  });
});
