import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection } from '@sm/entities';
import { JobName, QueueName } from '@sm/queues';
import { eventually } from '@sm/testing';

import { AuthStack } from './support/auth-stack';
import {
  authEnv,
  AuthServiceProcess,
  installThroughConsent,
  jsonOf,
  newKey,
  startAuthServiceProcess,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox, storedPair } from './support/ghl-sandbox';
import { TcpRelay } from './support/tcp-relay';

const LOCATION = 'SMkillNineLocation01';

/**
 * kill -9 of an auth-service process while it holds a location's refresh lock: the Postgres
 * row lock dies with its session, and another instance refreshes. Whether the connection
 * survives depends on whether GHL had already spent the refresh token.
 */
describe('an auth-service instance killed (SIGKILL) while it holds the refresh lock', () => {
  let stack: AuthStack;
  let db: DataSource;
  let ghl: GhlSandbox;
  let relay: TcpRelay;
  let survivor: AuthServiceProcess;
  let notifications: Queue;
  const keys = newKey('k1');

  const startInstance = (ghlBaseUrl: string) =>
    startAuthServiceProcess(
      authEnv({
        databaseUrl: stack.database.url,
        queuePrefix: stack.queuePrefix,
        ghlBaseUrl,
        keys,
        extra: { LOG_LEVEL: 'warn' },
      }),
    );
  /** The backend that holds a lock on the token table, other than our own session. */
  const lockHolderPid = async (): Promise<number | undefined> => {
    const rows: Array<{ pid: number }> = await db.query(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'relation' AND relation = 'ghl_connection_tokens'::regclass
          AND mode = 'RowShareLock' AND granted AND pid <> pg_backend_pid()`,
    );

    return rows[0]?.pid;
  };
  /** Tries the row lock without waiting: false while another session holds it. */
  const rowLockIsFree = () =>
    db.transaction(async (manager) => {
      try {
        await manager.query(
          'SELECT 1 FROM ghl_connection_tokens WHERE location_id = $1 FOR UPDATE NOWAIT',
          [LOCATION],
        );

        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') return false;
        throw error;
      }
    });
  const backendAlive = async (pid: number) =>
    (await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length > 0;
  const expireSoon = () =>
    db.query(`UPDATE ghl_connection_tokens SET access_token_expires_at = now() + interval '1 s'`);

  /** Starts the doomed instance, asks it for the token as it expires, waits for its lock. */
  const refreshOnDoomedInstance = async () => {
    const doomed = await startInstance(await relay.start());
    await expireSoon();
    const pending = tokenRequest(doomed.url, LOCATION).catch((error: Error) => error);
    const holderPid = await eventually(lockHolderPid, 10_000, 'the doomed instance to lock');

    return { doomed, pending, holderPid };
  };

  beforeAll(async () => {
    stack = await AuthStack.start({ locations: [LOCATION], queueName: 'auth-kill' });
    ({ db, ghl } = stack);
    survivor = await startInstance(ghl.url);
    notifications = stack.queue(QueueName.Notifications);
  });

  afterAll(async () => {
    await survivor.process.stop();
    await stack.stop();
  });

  beforeEach(async () => {
    await db.query('TRUNCATE ghl_connections, ghl_connection_tokens');
    await ghl.resetFaults();
    expect((await installThroughConsent(survivor.url)).status).toBe(200);
    relay = new TcpRelay({ host: '127.0.0.1', port: Number(new URL(ghl.url).port) });
  });

  afterEach(() => relay.stop());

  it('killed before GHL saw the refresh: the lock is released, the connection lives', async () => {
    relay.holding = true;
    const before = await storedPair(db, keys, LOCATION);
    const refreshesBefore = (await ghl.stats()).oauth.refreshes;
    const { doomed, pending, holderPid } = await refreshOnDoomedInstance();
    await eventually(async () => (relay.heldBytes > 0 ? true : undefined), 10_000, 'the refresh');
    expect(await rowLockIsFree()).toBe(false);

    await doomed.process.stop('SIGKILL');

    await eventually(async () => ((await backendAlive(holderPid)) ? undefined : true), 10_000);
    expect(await rowLockIsFree()).toBe(true);
    // Its caller saw the connection drop, not an answer.
    expect(await pending).toHaveProperty('message', 'fetch failed');
    const answer = await tokenRequest(survivor.url, LOCATION);
    expect(answer.status).toBe(200);
    const { accessToken } = await jsonOf(answer);
    expect(accessToken).not.toBe(before.accessToken);
    expect(await ghl.accepts(accessToken, LOCATION)).toBe(true);
    const later = await tokenRequest(survivor.url, LOCATION, true);
    expect(later.status).toBe(200);
    expect((await ghl.stats()).oauth).toMatchObject({
      refreshes: refreshesBefore + 2,
      refreshRejected: 0,
    });
    const connection = await db.manager.findOneByOrFail(Connection, { locationId: LOCATION });
    expect(connection.status).toBe('active');
  });

  it('killed after GHL spent the refresh token: the lock is released, loudly lost', async () => {
    await ghl.faults({ latencyMs: 1_500 });
    const refreshesBefore = (await ghl.stats()).oauth.refreshes;
    const { doomed, holderPid } = await refreshOnDoomedInstance();
    // The refresh request has reached the sandbox, which answers after its latency.
    await new Promise((resolve) => setTimeout(resolve, 300));

    await doomed.process.stop('SIGKILL');

    await eventually(async () => ((await backendAlive(holderPid)) ? undefined : true), 10_000);
    expect(await rowLockIsFree()).toBe(true);
    await eventually(async () =>
      (await ghl.stats()).oauth.refreshes > refreshesBefore ? true : undefined,
    );
    await ghl.resetFaults();
    const answer = await tokenRequest(survivor.url, LOCATION);
    expect(answer.status).toBe(409);
    expect(await jsonOf(answer)).toEqual({ error: 'reauth_required' });
    expect((await ghl.stats()).oauth.refreshRejected).toBe(1);
    const alerts = await notifications.getJobs(['waiting', 'delayed', 'active']);
    expect(alerts.map((job) => [job.name, job.data.locationId])).toContainEqual([
      JobName.AdminAlert,
      LOCATION,
    ]);
  });
});
