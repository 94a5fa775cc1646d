import { randomBytes } from 'node:crypto';

import { ConnectionToken } from '@sm/entities';

import { reencryptTokens } from '../src/cli/reencrypt-tokens';
import { AuthStack } from './support/auth-stack';
import {
  installThroughConsent,
  newKey,
  startAuthServiceProcess,
  tokenRequest,
} from './support/auth-test-kit';

const FIRST = 'SMkeyRingLocation01';
const SECOND = 'SMkeyRingLocation02';
/** Its token is sealed under the newer key, `k2`. */
const NEWER = 'SMkeyRingLocation03';
/** The only location of a database whose one key is replaced by other bytes. */
const ALONE = 'SMkeyRingLocation04';

/** The same key id with other bytes: a key regenerated under its id, or the wrong paste. */
const otherBytes = (key: string) => `${key.split(':')[0]}:${randomBytes(32).toString('base64')}`;
const secretsOf = (ring: string) => ring.split(',').map((key) => key.split(':')[1]);

/** What a real auth-service process with the ring `keys` says when it exits before it is ready. */
function refusalToStart(stack: AuthStack, keys: string): Promise<string> {
  return startAuthServiceProcess(stack.env(keys, { LOG_LEVEL: 'info' })).then(
    async (service) => {
      await service.process.stop();

      return 'started';
    },
    (error: Error) => error.message,
  );
}

function reencrypt(stack: AuthStack, keys: string) {
  return reencryptTokens({
    DATABASE_URL: stack.database.url,
    LOG_LEVEL: 'silent',
    TOKEN_ENCRYPTION_KEYS: keys,
  });
}

async function sealed(stack: AuthStack) {
  const rows = await stack.db.manager.find(ConnectionToken, { order: { locationId: 'ASC' } });

  return rows.map((row) => [row.locationId, row.accessTokenSealed, row.refreshTokenSealed]);
}

describe('a token key ring of the right key ids but other bytes', () => {
  let stack: AuthStack;
  const k1 = newKey('k1');

  beforeAll(async () => {
    stack = await AuthStack.start({ locations: [ALONE], queueName: 'auth-key-ring' });
    const service = await stack.boot(k1);
    expect((await installThroughConsent(service.url, { locationId: ALONE })).status).toBe(200);
  });

  afterAll(() => stack.stop());

  it('makes the re-encryption CLI fail, re-sealing nothing, naming the key id', async () => {
    const before = await sealed(stack);

    const run = reencrypt(stack, otherBytes(k1));

    await expect(run).rejects.toThrow(
      'TOKEN_ENCRYPTION_KEYS does not open the stored tokens: key k1 opens none of the rows ' +
        `tried (1 of its 1: ${ALONE}; authentication failed)`,
    );
    expect(await sealed(stack)).toEqual(before);
  });

  it('stops the service at boot, naming the variable and the key id, not the key', async () => {
    const wrong = otherBytes(k1);

    const refusal = await refusalToStart(stack, wrong);

    expect(refusal).toContain('exited with 1');
    expect(refusal).toContain(
      'TOKEN_ENCRYPTION_KEYS does not open the stored tokens: key k1 opens none of the rows',
    );
    for (const secret of [...secretsOf(wrong), ...secretsOf(k1)]) {
      expect(refusal).not.toContain(secret);
    }
  });
});

describe('a token key ring during a rotation', () => {
  let stack: AuthStack;
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  const ring = `${k1},${k2}`;

  /** Gives the location's row another row's access token: it no longer opens (its AAD). */
  const alter = (locationId: string, from: string) =>
    stack.db.query(
      `UPDATE ghl_connection_tokens
          SET access_token_sealed = (SELECT access_token_sealed FROM ghl_connection_tokens
                                      WHERE location_id = $2)
        WHERE location_id = $1`,
      [locationId, from],
    );
  const keyIds = async () =>
    (await stack.db.manager.find(ConnectionToken, { order: { locationId: 'ASC' } })).map(
      (row) => row.keyId,
    );

  beforeAll(async () => {
    stack = await AuthStack.start({
      locations: [FIRST, SECOND, NEWER],
      queueName: 'auth-key-ring',
    });
    const before = await stack.boot(k1);
    for (const locationId of [FIRST, SECOND, NEWER]) {
      expect((await installThroughConsent(before.url, { locationId })).status).toBe(200);
    }
    const rotated = await stack.boot(ring);
    expect((await tokenRequest(rotated.url, NEWER, true)).status).toBe(200);
    expect(await keyIds()).toEqual(['k1', 'k1', 'k2']);
  });

  afterAll(() => stack.stop());

  it('re-seals nothing under a newest key that does not open the rows of its id', async () => {
    const before = await sealed(stack);

    const run = reencrypt(stack, `${k1},${otherBytes(k2)}`);

    // Re-sealed under the wrong k2, FIRST and SECOND would be lost to the right one.
    await expect(run).rejects.toThrow(`key k2 opens none of the rows tried (1 of its 1: ${NEWER}`);
    expect(await sealed(stack)).toEqual(before);
  });

  it('names a key id of the stored rows that is missing from the ring', async () => {
    const run = reencrypt(stack, k2);

    await expect(run).rejects.toThrow(
      `key k1 opens none of the rows tried (2 of its 2: ${SECOND}, ${FIRST}; ` +
        'key k1 is not in the key ring)',
    );
  });

  it('re-seals every row that opens, then fails naming each row that does not', async () => {
    await alter(SECOND, FIRST);
    const altered = (await sealed(stack))[1];

    const run = reencrypt(stack, ring);

    await expect(run).rejects.toThrow(
      `1 of 3 stored tokens open with no key of TOKEN_ENCRYPTION_KEYS and were left as they ` +
        `are: ${SECOND} (k1)`,
    );
    expect(await keyIds()).toEqual(['k2', 'k1', 'k2']);
    expect((await sealed(stack))[1]).toEqual(altered);
  });

  it('starts past one row that does not open, and answers it 409 token_unreadable', async () => {
    await alter(SECOND, NEWER);
    const service = await stack.boot(ring);

    const answer = await tokenRequest(service.url, SECOND);

    expect(answer.status).toBe(409);
    expect(await answer.text()).toBe('{"error":"token_unreadable"}');
    expect((await tokenRequest(service.url, FIRST)).status).toBe(200);
    expect((await tokenRequest(service.url, NEWER)).status).toBe(200);
  });

  it('stops the service at boot when the newest key does not open the rows of its id', async () => {
    const wrong = `${k1},${otherBytes(k2)}`;

    const refusal = await refusalToStart(stack, wrong);

    expect(refusal).toContain('exited with 1');
    expect(refusal).toContain(
      `TOKEN_ENCRYPTION_KEYS does not open the stored tokens: key k2 opens none of the rows ` +
        `tried (2 of its 2: `,
    );
    for (const secret of [...secretsOf(wrong), ...secretsOf(ring)]) {
      expect(refusal).not.toContain(secret);
    }
  });
});
