import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';

import { ConnectionToken } from '@sm/entities';
import { eventually } from '@sm/testing';

import { AdminAlertDelivery } from './support/admin-alert-delivery';
import { AuthStack } from './support/auth-stack';
import {
  installThroughConsent,
  jsonOf,
  newKey,
  RunningAuthService,
  tokenRequest,
} from './support/auth-test-kit';

/** Sealed under `k2`, which the replicas that read it lack. */
const MISSING = 'SMunreadableMissing01';
/** Sealed under `k2`, read by a replica holding other bytes under `k2`. */
const OTHER_BYTES = 'SMunreadableBytes0001';
/** Sealed under `k1`, which every replica holds. */
const GOOD = 'SMunreadableGood00001';
/** Sealed under `k2`, and no longer connected. */
const GONE = 'SMunreadableGone00001';
/** Its access token ends up in the clear in its row, as a JWT: not in the sealed format. */
const CLEAR = 'SMunreadableClear0001';

const secretOf = (key: string) => key.split(':')[1];

/**
 * The auth service's unreadable-token alert, end to end: auth-service replicas in this process,
 * a real notification-service process on the same database and queue prefix, and its admin
 * channel a Slack-compatible webhook on loopback.
 */
describe('a stored token no key of the ring opens', () => {
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  const otherK2 = `k2:${randomBytes(32).toString('base64')}`;
  const accessTokens: string[] = [];
  let stack: AuthStack;
  let db: DataSource;
  let alerts: AdminAlertDelivery;
  /** Two replicas whose ring lacks `k2`, and one holding other bytes under it. */
  let lacking: RunningAuthService[];
  let otherBytes: RunningAuthService;

  beforeAll(async () => {
    stack = await AuthStack.start({
      locations: [MISSING, OTHER_BYTES, GOOD, GONE, CLEAR],
      queueName: 'auth-unreadable',
    });
    db = stack.db;
    alerts = await AdminAlertDelivery.start(stack);

    const first = await stack.boot(k1);
    for (const locationId of [MISSING, OTHER_BYTES, GOOD, GONE, CLEAR]) {
      expect((await installThroughConsent(first.url, { locationId })).status).toBe(200);
    }
    // Booted while every row is sealed under k1, which their rings open.
    lacking = [await stack.boot(k1), await stack.boot(k1)];
    otherBytes = await stack.boot(`${k1},${otherK2}`);
    // A replica rolled out with k2 refreshes three rows: they are sealed under k2 from now on.
    const rotated = await stack.boot(`${k1},${k2}`);
    for (const locationId of [MISSING, OTHER_BYTES, GONE]) {
      const answer = await tokenRequest(rotated.url, locationId, true);
      expect(answer.status).toBe(200);
      accessTokens.push((await jsonOf(answer)).accessToken);
    }
    await db.query(`UPDATE ghl_connections SET status = 'uninstalled' WHERE location_id = $1`, [
      GONE,
    ]);
    expect(await keyIdsOf(db)).toEqual({
      [CLEAR]: 'k1',
      [GOOD]: 'k1',
      [GONE]: 'k2',
      [MISSING]: 'k2',
      [OTHER_BYTES]: 'k2',
    });
  });

  afterAll(async () => {
    await alerts?.stop();
    await stack?.stop();
  });

  it('sealed under a key id the ring lacks: one admin alert naming location and key', async () => {
    const answer = await tokenRequest(lacking[0].url, MISSING);

    expect(answer.status).toBe(409);
    expect(await jsonOf(answer)).toEqual({ error: 'token_unreadable' });
    const [alert] = await eventually(
      async () => (alerts.about(MISSING).length > 0 ? alerts.about(MISSING) : undefined),
      20_000,
      'the unreadable-token alert',
    );
    expect(alert.text).toBe(
      `[connection-token-unreadable] The stored token of location ${MISSING} (sealed with key ` +
        'k2) opens with no key of TOKEN_ENCRYPTION_KEYS: the ring lacks k2. Put that key back, ' +
        'or reinstall the app; its syncs are put off meanwhile',
    );
    expect(alert.raw).toContain('*Key id*\\nk2');
  });

  it('names no key, token or sealed value, in the message sent or the one stored', async () => {
    await alerts.settled();
    const stored: Array<{ message: unknown }> = await db.query(
      `SELECT message FROM notifications
        WHERE kind = 'connection-token-unreadable' AND location_id = $1`,
      [MISSING],
    );
    const sealedParts = (await db.manager.find(ConnectionToken)).flatMap((row) =>
      [row.accessTokenSealed, row.refreshTokenSealed ?? ''].flatMap((value) =>
        value.split('.').slice(2),
      ),
    );
    const secrets = [secretOf(k1), secretOf(k2), secretOf(otherK2), ...accessTokens];

    expect(stored).toHaveLength(1);
    expect(alerts.about(MISSING)).toHaveLength(1);
    const texts = [alerts.about(MISSING)[0].raw, JSON.stringify(stored[0].message)];
    for (const value of [...secrets, ...sealedParts.filter(Boolean)]) {
      for (const text of texts) expect(text).not.toContain(value);
    }
  });

  it('asked ten times, by two replicas, still sends one alert', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => tokenRequest(lacking[index % 2].url, MISSING)),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(409));
    await alerts.settled();
    expect(alerts.about(MISSING)).toHaveLength(1);
  });

  it('sealed under the same key id with other bytes: one alert for that cause', async () => {
    for (let request = 0; request < 10; request += 1) {
      expect((await tokenRequest(otherBytes.url, OTHER_BYTES)).status).toBe(409);
    }

    await alerts.settled();
    expect(alerts.about(OTHER_BYTES).map((alert) => alert.text)).toEqual([
      `[connection-token-unreadable] The stored token of location ${OTHER_BYTES} (sealed with ` +
        'key k2) opens with no key of TOKEN_ENCRYPTION_KEYS: the ring holds other bytes under ' +
        "k2, or the row was altered. Restore that key's bytes, or reinstall the app; its syncs " +
        'are put off meanwhile',
    ]);
  });

  it("names the row's key id for a token in the clear, never a part of the token", async () => {
    const payload = 'eyJsb2NhdGlvbiI6IngifQ';
    await db.query(
      `UPDATE ghl_connection_tokens SET access_token_sealed = $2 WHERE location_id = $1`,
      [CLEAR, `eyJhbGciOiJIUzI1NiJ9.${payload}.c2lnbmF0dXJlLXBhcnQ`],
    );

    expect((await tokenRequest(lacking[0].url, CLEAR)).status).toBe(409);

    await alerts.settled();
    expect(alerts.about(CLEAR).map((alert) => alert.text)).toEqual([
      `[connection-token-unreadable] The stored token of location ${CLEAR} (sealed with key ` +
        'k1) opens with no key of TOKEN_ENCRYPTION_KEYS: the row is not in the sealed format ' +
        '(it was altered). Mend it, or reinstall the app; its syncs are put off meanwhile',
    ]);
    expect(JSON.stringify(alerts.received)).not.toContain(payload);
  });

  it('alerts about neither a good row nor the row of a location no longer connected', async () => {
    for (const replica of [...lacking, otherBytes]) {
      expect((await tokenRequest(replica.url, GOOD)).status).toBe(200);
      expect((await tokenRequest(replica.url, GONE)).status).toBe(404);
    }

    await alerts.settled();
    const alerted = alerts.received.map((alert) => locationOf(alert.text));
    expect(alerted.sort()).toEqual([CLEAR, OTHER_BYTES, MISSING].sort());
  });
});

async function keyIdsOf(db: DataSource): Promise<Record<string, string>> {
  const rows = await db.manager.find(ConnectionToken);

  return Object.fromEntries(rows.map((row) => [row.locationId, row.keyId]));
}

function locationOf(text: string): string {
  return /of location (\S+) /.exec(text)?.[1] ?? text;
}
