import { execFile } from 'node:child_process';
import path from 'node:path';

import { createDataSource } from '@sm/entities';
import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TestDatabase,
  uniqueQueuePrefix,
  WORKSPACE_ROOT,
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
/** Its stored token is altered after the install: no key of the ring opens it. */
const UNREADABLE = 'SMsecrecyLocation002';
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
  let reencrypt: CliRun;

  beforeAll(async () => {
    database = await createTestDatabase();
    ghl = await GhlSandbox.start([LOCATION, UNREADABLE]);
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

    responses.push(await (await installThroughConsent(url, { locationId: UNREADABLE })).text());
    issued.push(...Object.values(await storedPairOf(database.url, env.keys, UNREADABLE)));
    await alterStoredToken(database.url, UNREADABLE, LOCATION);
    responses.push(await (await tokenRequest(url, UNREADABLE)).text());
    reencrypt = await runReencryptCli({
      DATABASE_URL: database.url,
      TOKEN_ENCRYPTION_KEYS: env.keys,
      LOG_LEVEL: 'trace',
    });
  });

  afterAll(async () => {
    await service.stop();
    await ghl.stop();
    await database.drop();
  });

  it('writes structured logs that carry the location id', () => {
    expect(service.output()).toContain(`"locationId":"${LOCATION}"`);
  });

  it('logs a stored token no key opens, with its location and key id', () => {
    const lines = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'stored token cannot be opened',
        locationId: UNREADABLE,
        keyId: 'k1',
      }),
    );
  });

  it('fails the re-encryption CLI, naming the row it cannot open', () => {
    expect(reencrypt.code).toBe(1);
    expect(reencrypt.stderr).toContain(
      `tokens-reencrypt: 1 of 2 stored tokens open with no key of TOKEN_ENCRYPTION_KEYS and ` +
        `were left as they are: ${UNREADABLE} (k1)`,
    );
  });

  it('never writes a code, token, key or secret to the log', () => {
    const output = service.output() + reencrypt.stdout + reencrypt.stderr;

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
    expect(JSON.parse(responses[5])).toEqual({ error: 'token_unreadable' });
    for (const body of responses) expect(body).not.toMatch(SANDBOX_SECRETS);
  });
});

/** The stored pair, read with a short-lived connection of the test's own. */
async function storedPairOf(databaseUrl: string, keys: string, locationId = LOCATION) {
  const db = await createDataSource(databaseUrl).initialize();
  try {
    const { accessToken, refreshToken } = await storedPair(db, keys, locationId);

    return { accessToken, refreshToken: refreshToken ?? '' };
  } finally {
    await db.destroy();
  }
}

/** Gives the location's row another row's access token, which its AAD refuses. */
async function alterStoredToken(databaseUrl: string, locationId: string, from: string) {
  const db = await createDataSource(databaseUrl).initialize();
  try {
    await db.query(
      `UPDATE ghl_connection_tokens
          SET access_token_sealed = (SELECT access_token_sealed FROM ghl_connection_tokens
                                      WHERE location_id = $2)
        WHERE location_id = $1`,
      [locationId, from],
    );
  } finally {
    await db.destroy();
  }
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run tokens:reencrypt`, as an operator runs it: its exit code and what it wrote. */
function runReencryptCli(env: Record<string, string>): Promise<CliRun> {
  const entry = 'apps/auth-service/src/cli/reencrypt-tokens.ts';

  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'), entry],
      { cwd: WORKSPACE_ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}
