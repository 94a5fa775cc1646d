import { DataSource } from 'typeorm';

import { ConnectionToken, createDataSource } from '@sm/entities';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { reencryptTokens } from '../src/cli/reencrypt-tokens';
import {
  authEnv,
  installThroughConsent,
  newKey,
  RunningAuthService,
  startAuthService,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox } from './support/ghl-sandbox';

describe('token encryption key rotation', () => {
  let database: TestDatabase;
  let db: DataSource;
  let ghl: GhlSandbox;
  const running: RunningAuthService[] = [];
  const k1 = newKey('k1');
  const k2 = newKey('k2');

  const boot = async (keys: string) => {
    const service = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: uniqueQueuePrefix('auth-keys'),
        ghlBaseUrl: ghl.url,
        keys,
      }),
    );
    running.push(service);

    return service;
  };
  const keyIds = async () =>
    (await db.manager.find(ConnectionToken, { order: { locationId: 'ASC' } })).map((row) => [
      row.locationId,
      row.keyId,
      row.accessTokenSealed.split('.')[1],
      row.refreshTokenSealed?.split('.')[1],
    ]);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    ghl = await GhlSandbox.start(['LocRotateA', 'LocRotateB']);
  });

  afterAll(async () => {
    await Promise.all(running.map((service) => service.app.close()));
    await Promise.all([ghl.stop(), db.destroy()]);
    await database.drop();
  });

  it('old keys still open, new writes use the newest key, the CLI re-seals the rest', async () => {
    const before = await boot(k1);
    for (const locationId of ['LocRotateA', 'LocRotateB']) {
      expect((await installThroughConsent(before.url, { locationId })).status).toBe(200);
    }
    await before.app.close();
    running.pop();

    const rotated = await boot(`${k1},${k2}`);
    const stillOpens = await tokenRequest(rotated.url, 'LocRotateA');
    const rewritten = await tokenRequest(rotated.url, 'LocRotateA', true);

    expect(stillOpens.status).toBe(200);
    expect(rewritten.status).toBe(200);
    expect(await keyIds()).toEqual([
      ['LocRotateA', 'k2', 'k2', 'k2'],
      ['LocRotateB', 'k1', 'k1', 'k1'],
    ]);

    const outcome = await reencryptTokens({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      TOKEN_ENCRYPTION_KEYS: `${k1},${k2}`,
    });

    expect(outcome).toEqual({ resealed: 1, total: 2 });
    expect((await keyIds()).map(([, ...ids]) => ids)).toEqual([
      ['k2', 'k2', 'k2'],
      ['k2', 'k2', 'k2'],
    ]);
    const withoutOldKey = await boot(k2);
    const answer = await tokenRequest(withoutOldKey.url, 'LocRotateB');
    expect(answer.status).toBe(200);
    const { accessToken } = (await answer.json()) as { accessToken: string };
    expect(await ghl.accepts(accessToken, 'LocRotateB')).toBe(true);
  });
});
