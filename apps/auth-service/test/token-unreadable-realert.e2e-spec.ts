import { DataSource } from 'typeorm';

import { AdminAlertDelivery } from './support/admin-alert-delivery';
import { AuthStack } from './support/auth-stack';
import {
  installThroughConsent,
  newKey,
  RunningAuthService,
  tokenRequest,
} from './support/auth-test-kit';

const LOCATION = 'SMunreadableAgain0001';

/**
 * The unreadable-token alert across episodes: a row that stops opening, opens again (the ring
 * mended), then stops opening again before any refresh rewrote it (the same bad ring deployed
 * a second time) is alerted twice, and only twice however often it is asked for. Auth-service
 * replicas in this process, a real notification-service process, a Slack-compatible receiver.
 */
describe('a stored token that stops opening again after it opened', () => {
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  let stack: AuthStack;
  let db: DataSource;
  let delivery: AdminAlertDelivery;
  /** Two replicas whose ring lacks `k2`, the key the row ends up sealed with. */
  let lacking: RunningAuthService[];

  beforeAll(async () => {
    stack = await AuthStack.start({ locations: [LOCATION], queueName: 'auth-unreadable-again' });
    db = stack.db;
    delivery = await AdminAlertDelivery.start(stack);

    const first = await stack.boot(k1);
    expect((await installThroughConsent(first.url, { locationId: LOCATION })).status).toBe(200);
    // Booted while the row is sealed under k1; then a replica with k2 refreshes it under k2.
    lacking = [await stack.boot(k1), await stack.boot(k1)];
    const rotated = await stack.boot(`${k1},${k2}`);
    expect((await tokenRequest(rotated.url, LOCATION, true)).status).toBe(200);
  });

  afterAll(async () => {
    await delivery?.stop();
    await stack?.stop();
  });

  const alerts = () => delivery.about(LOCATION);

  /** The dedupe keys of the alerts stored for the location, oldest first. */
  async function storedKeys(): Promise<string[]> {
    const rows: Array<{ dedupe_key: string }> = await db.query(
      `SELECT dedupe_key FROM notifications
        WHERE kind = 'connection-token-unreadable' AND location_id = $1 ORDER BY created_at`,
      [LOCATION],
    );

    return rows.map((row) => row.dedupe_key);
  }

  /** Ten refusals at once, half from each replica lacking the key. */
  async function askTenTimes(): Promise<void> {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => tokenRequest(lacking[index % 2].url, LOCATION)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(409));
  }

  /** A replica with the mended ring (a new process, as a deploy makes) serves the token. */
  async function mend(): Promise<void> {
    const mended = await stack.boot(`${k1},${k2}`);
    expect((await tokenRequest(mended.url, LOCATION)).status).toBe(200);
    await stack.retire(mended);
  }

  it('does not open: one alert', async () => {
    expect((await tokenRequest(lacking[0].url, LOCATION)).status).toBe(409);

    await delivery.settled();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0].text).toContain('the ring lacks k2');
  });

  it('asked ten more times by two replicas while it does not open: still one alert', async () => {
    await askTenTimes();

    await delivery.settled();
    expect(alerts()).toHaveLength(1);
    expect(await storedKeys()).toHaveLength(1);
  });

  it('opens on a mended replica, then does not open again: a second alert', async () => {
    await mend();
    // The same replicas that sent the first alert are asked again: the row's generation has
    // not changed, no refresh having rewritten it.
    expect((await tokenRequest(lacking[0].url, LOCATION)).status).toBe(409);

    await delivery.settled();
    expect(alerts()).toHaveLength(2);
    expect(alerts()[1].text).toBe(alerts()[0].text);
    const keys = await storedKeys();
    expect(new Set(keys).size).toBe(2);
  });

  it('asked ten times in the second episode: still two alerts', async () => {
    await askTenTimes();

    await delivery.settled();
    expect(alerts()).toHaveLength(2);
  });

  it('a third episode, met by ten refusals at once, alerts once more', async () => {
    await mend();
    await askTenTimes();

    await delivery.settled();
    expect(alerts()).toHaveLength(3);
    expect(new Set(await storedKeys()).size).toBe(3);
  });
});
