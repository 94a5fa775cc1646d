import { ConnectionToken } from '@sm/entities';

import { reencryptTokens } from '../src/cli/reencrypt-tokens';
import { AuthStack } from './support/auth-stack';
import { installThroughConsent, newKey, tokenRequest } from './support/auth-test-kit';

describe('token encryption key rotation', () => {
  let stack: AuthStack;
  const k1 = newKey('k1');
  const k2 = newKey('k2');

  const keyIds = async () =>
    (await stack.db.manager.find(ConnectionToken, { order: { locationId: 'ASC' } })).map((row) => [
      row.locationId,
      row.keyId,
      row.accessTokenSealed.split('.')[1],
      row.refreshTokenSealed?.split('.')[1],
    ]);

  beforeAll(async () => {
    stack = await AuthStack.start({
      locations: ['LocRotateA', 'LocRotateB'],
      queueName: 'auth-keys',
    });
  });

  afterAll(() => stack.stop());

  it('old keys still open, new writes use the newest key, the CLI re-seals the rest', async () => {
    const before = await stack.boot(k1);
    for (const locationId of ['LocRotateA', 'LocRotateB']) {
      expect((await installThroughConsent(before.url, { locationId })).status).toBe(200);
    }
    await stack.retire(before);

    const rotated = await stack.boot(`${k1},${k2}`);
    const stillOpens = await tokenRequest(rotated.url, 'LocRotateA');
    const rewritten = await tokenRequest(rotated.url, 'LocRotateA', true);

    expect(stillOpens.status).toBe(200);
    expect(rewritten.status).toBe(200);
    expect(await keyIds()).toEqual([
      ['LocRotateA', 'k2', 'k2', 'k2'],
      ['LocRotateB', 'k1', 'k1', 'k1'],
    ]);

    const outcome = await reencryptTokens({
      DATABASE_URL: stack.database.url,
      LOG_LEVEL: 'silent',
      TOKEN_ENCRYPTION_KEYS: `${k1},${k2}`,
    });

    expect(outcome).toEqual({ resealed: 1, total: 2 });
    expect((await keyIds()).map(([, ...ids]) => ids)).toEqual([
      ['k2', 'k2', 'k2'],
      ['k2', 'k2', 'k2'],
    ]);
    const withoutOldKey = await stack.boot(k2);
    const answer = await tokenRequest(withoutOldKey.url, 'LocRotateB');
    expect(answer.status).toBe(200);
    const { accessToken } = (await answer.json()) as { accessToken: string };
    expect(await stack.ghl.accepts(accessToken, 'LocRotateB')).toBe(true);
  });
});
