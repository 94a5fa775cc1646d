import { createDataSource } from '@sm/entities';
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
import { GhlSandbox, SANDBOX_APP, storedPair } from './support/ghl-sandbox';

const LOCATION = 'SMsecrecyLocation001';
/** Every code and token the sandbox issues starts so: none may reach a log or a response. */
const SANDBOX_SECRETS = /sbx_(code|at|rt)_[\w-]+/;

describe('token secrecy (a real auth-service process, logging at trace)', () => {
  let database: TestDatabase;
  let ghl: GhlSandbox;
  let service: ServiceProcess;
  let url: string;
  const responses: string[] = [];
  const issued: string[] = [];
  const env = { keys: newKey('k1') };

  beforeAll(async () => {
    database = await createTestDatabase();
    ghl = await GhlSandbox.start([LOCATION]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startServiceProcess({
      entry: 'apps/auth-service/src/main.ts',
      env: authEnv({
        databaseUrl: database.url,
        queuePrefix: uniqueQueuePrefix('auth-secrecy'),
        ghlBaseUrl: ghl.url,
        keys: env.keys,
        extra: { PORT: String(port), LOG_LEVEL: 'trace' },
      }),
      readyUrl: `${url}/health/live`,
    });

    const install = await installThroughConsent(url);
    responses.push(await install.text());
    issued.push(...Object.values(await storedPairOf(database.url, env.keys)));
    // Someone else spends the stored refresh token: the forced refresh below is refused.
    await ghl.refresh(issued[1]);
    const forged = await fetch(`${url}/oauth/callback?code=leaked-code-1&state=a.1.b`);
    responses.push(await forged.text());
    const refused = await tokenRequest(url, LOCATION, true);
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
    expect(service.output()).toContain(`"locationId":"${LOCATION}"`);
  });

  it('never writes a code, token, key or secret to the log', () => {
    const output = service.output();

    expect(output).not.toMatch(SANDBOX_SECRETS);
    for (const secret of [
      ...issued,
      'leaked-code-1',
      SERVICE_TOKEN,
      SANDBOX_APP.clientSecret,
      env.keys.split(':')[1],
    ]) {
      expect(output).not.toContain(secret);
    }
  });

  it('answers the callback, errors and the connection list without any token', () => {
    expect(responses[0]).toContain(LOCATION);
    expect(responses[2]).toContain('reauth_required');
    expect(JSON.parse(responses[3]).connections).toHaveLength(1);
    for (const body of responses) expect(body).not.toMatch(SANDBOX_SECRETS);
  });
});

/** The stored pair, read with a short-lived connection of the test's own. */
async function storedPairOf(databaseUrl: string, keys: string) {
  const db = await createDataSource(databaseUrl).initialize();
  try {
    const { accessToken, refreshToken } = await storedPair(db, keys, LOCATION);

    return { accessToken, refreshToken: refreshToken ?? '' };
  } finally {
    await db.destroy();
  }
}
